"""Builders shared by the domain tests: aggregates with their events collected."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

from eventsourcing.domain import Aggregate

from domain.common import Edition, TenantType, instant
from domain.invitation import Invitation
from domain.license_order import LicenseOrder
from domain.member import Member
from domain.person import person_id
from domain.seat_pool import SeatPool
from domain.tenant import Tenant

# The domain has no clock: every test passes this moment (or one after it) in.
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
TODAY = NOW.date()
YESTERDAY = TODAY - timedelta(days=1)
TOMORROW = TODAY + timedelta(days=1)


def day(offset: int = 0) -> str:
    """The ISO date `offset` days after today, as state stores dates."""
    return (TODAY + timedelta(days=offset)).isoformat()


def later(**delta: float) -> datetime:
    return NOW + timedelta(**delta)


def expiry(**delta: float) -> str:
    """An expiry instant `delta` after NOW, as state stores instants."""
    return instant(later(**delta))


def event_names(aggregate: Aggregate) -> list[str]:
    """Names of the pending events, which are collected (and so cleared)."""
    return [type(e).__name__ for e in aggregate.collect_events()]


def payloads(aggregate: Aggregate) -> list[tuple[str, dict[str, Any]]]:
    """(name, payload) of each pending event, which are collected."""
    meta = {"originator_id", "originator_version", "timestamp", "originator_topic"}
    return [
        (type(e).__name__, {k: v for k, v in vars(e).items() if k not in meta})
        for e in aggregate.collect_events()
    ]


def new_tenant(**overrides: Any) -> Tenant:
    fields: dict[str, Any] = {
        "name": "Acme",
        "parent_id": None,
        "tenant_type": TenantType.STANDARD,
        "edition": Edition.BASIC,
        "charset": "UTF-8",
        "logo_url": None,
    }
    tenant = Tenant(**{**fields, **overrides})
    tenant.collect_events()
    return tenant


def handed_over(*admins: str) -> Tenant:
    """An active tenant with the given admins (one, "member-1", by default)."""
    tenant = new_tenant()
    for admin in admins or ("member-1",):
        tenant.appoint_admin(admin)
    tenant.hand_over()
    tenant.collect_events()
    return tenant


def open_pool(limit: int | None = 10, **kwargs: Any) -> SeatPool:
    pool = SeatPool.open(uuid4(), "seats", limit, **kwargs)
    pool.collect_events()
    return pool


def fill(pool: SeatPool, count: int, now: datetime = NOW) -> None:
    for i in range(count):
        pool.assign(f"holder-{i}", now)
    pool.collect_events()


def level_changes(pool: SeatPool) -> list[tuple[str, str]]:
    """(previous, level) of each pending UsageLevelChanged, in order."""
    events = [vars(e) for e in pool.collect_events()]
    return [(e["previous"], e["level"]) for e in events if "previous" in e]


def tally(pool: SeatPool, now: datetime = NOW) -> tuple[int, int, int, int]:
    """(used, reserved, allocated, available) at `now`."""
    usage = pool.usage(now)
    return (usage.used, usage.reserved, usage.allocated, usage.available)


def new_member(
    role: str = "user",
    start_date: str | None = None,
    end_date: str | None = None,
    email: str = "alice@example.com",
) -> Member:
    member = Member(
        tenant_id=uuid4(),
        person_id=person_id(email),
        email=email,
        display_name="Alice",
        role=role,
        start_date=start_date,
        end_date=end_date,
    )
    member.collect_events()
    return member


def new_invitation(expires_at: str | None = None) -> Invitation:
    invitation = Invitation(
        tenant_id=uuid4(),
        email="bob@example.com",
        role="user",
        expires_at=expires_at or expiry(days=7),
    )
    invitation.collect_events()
    return invitation


def new_order(quantity: int = 5) -> LicenseOrder:
    order = LicenseOrder(
        tenant_id=uuid4(),
        pool="members",
        quantity=quantity,
        note="for the spring intake",
        placed_by="key:partner",
    )
    order.collect_events()
    return order
