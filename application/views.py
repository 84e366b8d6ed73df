"""Plain, immutable views of aggregates: what a command or a read answers.

A view is taken when the answer is decided (the command bus's thread keeps
mutating its aggregates afterwards), so callers render it at leisure. The API
maps views to its response schemas; views never carry domain objects.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from domain.api_key import ApiKey
from domain.invitation import Invitation
from domain.license_order import LicenseOrder
from domain.member import Member
from domain.scheduled_change import SCHEDULED, ScheduledChange
from domain.seat_pool import SeatPool
from domain.seat_transfer import SeatTransfer
from domain.tenant import Tenant
from domain.webhook_endpoint import WebhookEndpoint


@dataclass(frozen=True)
class TenantView:
    tenant_id: UUID
    name: str
    display_name: str
    type: str
    edition: str
    charset: str
    logo_url: str | None
    parent_id: UUID | None
    status: str
    licenses: tuple[str, ...]
    admin_count: int
    children: tuple[UUID, ...]
    created_at: datetime
    pools: tuple[str, ...]


@dataclass(frozen=True)
class ChangeView:
    """A scheduled contract change (pending ones are also part of their
    pool's view)."""

    change_id: UUID
    tenant_id: UUID
    pool: str
    limit: int
    warning_threshold: float | None
    effective_at: datetime
    status: str
    reason: str | None = None
    detail: str | None = None
    scheduled_at: datetime | None = None
    settled_at: datetime | None = None


@dataclass(frozen=True)
class PoolView:
    tenant_id: UUID
    pool: str
    limit: int
    used: int
    reserved: int
    allocated: int
    warning_threshold: float
    contracted: bool
    scheduled: tuple[ChangeView, ...] = ()


@dataclass(frozen=True)
class TransferView:
    from_pool: PoolView
    to_pool: PoolView


@dataclass(frozen=True)
class MemberView:
    member_id: UUID
    tenant_id: UUID
    email: str
    display_name: str | None
    role: str
    status: str
    start_date: date | None
    end_date: date | None
    counts_as_active: bool


@dataclass(frozen=True)
class InvitationView:
    invitation_id: UUID
    tenant_id: UUID
    email: str
    role: str
    status: str  # judged at the view's instant: "expired" once past expiry
    expires_at: datetime
    member_id: UUID | None


@dataclass(frozen=True)
class OrderView:
    order_id: UUID
    tenant_id: UUID
    pool: str
    quantity: int
    note: str | None
    status: str
    placed_at: datetime
    placed_by: str
    reason: str | None


@dataclass(frozen=True)
class KeyView:
    key_id: UUID
    name: str
    role: str
    tenant_id: UUID | None
    revoked: bool
    created_at: datetime
    created_by: str


@dataclass(frozen=True)
class EndpointView:
    endpoint_id: UUID
    url: str
    tenant_id: UUID | None
    include_subtenants: bool
    event_types: tuple[str, ...] | None
    description: str | None
    status: str
    created_at: datetime


View = (
    TenantView
    | PoolView
    | MemberView
    | InvitationView
    | OrderView
    | KeyView
    | EndpointView
    | ChangeView
    | TransferView
)
# An aggregate at a version: how a view that names other aggregates (a
# transfer names its two pools) finds them, in the batch or in the store.
Load = Callable[[UUID, int], Any]


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def tenant_view(t: Tenant) -> TenantView:
    return TenantView(
        tenant_id=t.id,
        name=t.name,
        display_name=t.display_name,
        type=t.tenant_type,
        edition=t.edition,
        charset=t.charset,
        logo_url=t.logo_url,
        parent_id=t.parent_id,
        status=t.status,
        licenses=tuple(sorted(t.licenses)),
        admin_count=len(t.admin_ids),
        children=tuple(t.children),
        created_at=t.created_on,
        pools=tuple(t.pools),
    )


def pool_view(p: SeatPool, now: datetime) -> PoolView:
    usage = p.usage(now)
    return PoolView(
        tenant_id=p.tenant_id,
        pool=p.pool,
        limit=usage.limit,
        used=usage.used,
        reserved=usage.reserved,
        allocated=usage.allocated,
        warning_threshold=p.warning_threshold,
        contracted=p.contracted,
        scheduled=tuple(
            pending_view(p, UUID(change_id), change)
            for change_id, change in p.pending_changes().items()
        ),
    )


def pending_view(p: SeatPool, change_id: UUID, change: dict[str, Any]) -> ChangeView:
    return ChangeView(
        change_id=change_id,
        tenant_id=p.tenant_id,
        pool=p.pool,
        limit=change["limit"],
        warning_threshold=change["warning_threshold"],
        effective_at=datetime.fromisoformat(change["effective_at"]),
        status=SCHEDULED,
        scheduled_at=_instant(change.get("scheduled_at")),
    )


def _instant(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def change_view(c: ScheduledChange) -> ChangeView:
    return ChangeView(
        change_id=c.id,
        tenant_id=c.tenant_id,
        pool=c.pool,
        limit=c.limit,
        warning_threshold=c.warning_threshold,
        effective_at=datetime.fromisoformat(c.effective_at),
        status=c.status,
        reason=c.reason,
        detail=c.detail,
        scheduled_at=_instant(c.scheduled_at),
        settled_at=_instant(c.settled_at),
    )


def transfer_view(t: SeatTransfer, now: datetime, load: Load) -> TransferView:
    """The two pools as the transfer left them (at the versions it made)."""
    return TransferView(
        from_pool=pool_view(load(t.from_pool_id, t.from_version), now),
        to_pool=pool_view(load(t.to_pool_id, t.to_version), now),
    )


def member_view(m: Member, today: date) -> MemberView:
    return MemberView(
        member_id=m.id,
        tenant_id=m.tenant_id,
        email=m.email,
        display_name=m.display_name,
        role=m.role,
        status=m.status,
        start_date=_day(m.start_date),
        end_date=_day(m.end_date),
        counts_as_active=m.counts_on(today),
    )


def invitation_view(i: Invitation, now: datetime) -> InvitationView:
    return InvitationView(
        invitation_id=i.id,
        tenant_id=i.tenant_id,
        email=i.email,
        role=i.role,
        status=i.status_at(now),
        expires_at=datetime.fromisoformat(i.expires_at),
        member_id=i.member_id,
    )


def order_view(o: LicenseOrder) -> OrderView:
    return OrderView(
        order_id=o.id,
        tenant_id=o.tenant_id,
        pool=o.pool,
        quantity=o.quantity,
        note=o.note,
        status=o.status,
        placed_at=o.created_on,
        placed_by=o.placed_by,
        reason=o.reason,
    )


def key_view(k: ApiKey) -> KeyView:
    return KeyView(
        key_id=k.id,
        name=k.name,
        role=k.role,
        tenant_id=k.tenant_id,
        revoked=k.revoked,
        created_at=k.created_on,
        created_by=k.created_by,
    )


def endpoint_view(e: WebhookEndpoint) -> EndpointView:
    return EndpointView(
        endpoint_id=e.id,
        url=e.url,
        tenant_id=e.tenant_id,
        include_subtenants=e.include_subtenants,
        event_types=tuple(e.event_types) if e.event_types is not None else None,
        description=e.description,
        status="deleted" if e.deleted else e.status,
        created_at=e.created_on,
    )


def view_of(aggregate: Any, now: datetime, load: Load | None = None) -> View | None:
    """The view of any aggregate a command answers with, judged at `now`
    (None for the service's own bookkeeping, such as audit checkpoints)."""
    if isinstance(aggregate, ScheduledChange):
        return change_view(aggregate)
    if isinstance(aggregate, SeatTransfer) and load is not None:
        return transfer_view(aggregate, now, load)
    if isinstance(aggregate, Tenant):
        return tenant_view(aggregate)
    if isinstance(aggregate, SeatPool):
        return pool_view(aggregate, now)
    if isinstance(aggregate, Member):
        return member_view(aggregate, now.date())
    if isinstance(aggregate, Invitation):
        return invitation_view(aggregate, now)
    if isinstance(aggregate, LicenseOrder):
        return order_view(aggregate)
    if isinstance(aggregate, ApiKey):
        return key_view(aggregate)
    if isinstance(aggregate, WebhookEndpoint):
        return endpoint_view(aggregate)
    return None
