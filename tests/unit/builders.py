"""Builders shared by the domain tests: aggregates with their events collected."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from eventsourcing.domain import Aggregate

from domain.common import Edition, TenantType
from domain.seat_pool import SeatPool
from domain.tenant import Tenant


def event_names(aggregate: Aggregate) -> list[str]:
    """Names of the pending events, which are collected (and so cleared)."""
    return [type(e).__name__ for e in aggregate.collect_events()]


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


def handed_over() -> Tenant:
    tenant = new_tenant()
    # No member aggregate records admins yet: stand in for an admin member.
    tenant.admin_ids.append("member-1")
    tenant.hand_over()
    tenant.collect_events()
    return tenant


def open_pool(limit: int = 10, **kwargs: Any) -> SeatPool:
    pool = SeatPool.open(uuid4(), "seats", limit, **kwargs)
    pool.collect_events()
    return pool


def fill(pool: SeatPool, count: int) -> None:
    for i in range(count):
        pool.assign(f"holder-{i}")
    pool.collect_events()


def level_changes(pool: SeatPool) -> list[tuple[str, str]]:
    """(previous, level) of each pending UsageLevelChanged, in order."""
    events = [vars(e) for e in pool.collect_events()]
    return [(e["previous"], e["level"]) for e in events if "previous" in e]
