"""How a command's result is represented: the body of the REST answer, and
the `result` of a command answered over `POST /v1/commands` or Kafka. One
definition for all three, so they cannot differ (api/schemas re-exports
these models for the OpenAPI document)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from application.auth import Role
from application.outcome import Outcome
from application.views import (
    ChangeView,
    EndpointView,
    InvitationView,
    KeyView,
    MemberView,
    OrderView,
    PoolView,
    TenantView,
    TransferView,
)
from domain.common import Edition, TenantType, level_for


class TenantOut(BaseModel):
    tenant_id: UUID
    name: str
    display_name: str
    type: TenantType
    edition: Edition
    charset: str
    logo_url: str | None
    parent_id: UUID | None
    status: str
    licenses: list[str]
    admin_count: int
    children: list[UUID] = Field(
        description="its sub-tenants; empty for a key that reads its own tenant"
        " only (`tenant_admin`, `service`)"
    )
    created_at: str
    position: int

    @classmethod
    def of(cls, t: TenantView, position: int) -> TenantOut:
        return cls(
            tenant_id=t.tenant_id,
            name=t.name,
            display_name=t.display_name,
            type=TenantType(t.type),
            edition=Edition(t.edition),
            charset=t.charset,
            logo_url=t.logo_url,
            parent_id=t.parent_id,
            status=t.status,
            licenses=list(t.licenses),
            admin_count=t.admin_count,
            children=list(t.children),
            created_at=t.created_at.isoformat(),
            position=position,
        )


class ScheduledOut(BaseModel):
    """A scheduled contract change (docs/http.md "Writes")."""

    change_id: UUID
    tenant_id: UUID
    pool: str
    limit: int
    warning_threshold: float | None = Field(
        description="null: the pool keeps the threshold it has then"
    )
    effective_at: datetime
    status: Literal["scheduled", "applied", "failed", "cancelled"]
    reason: str | None = Field(default=None, description="a failed change's error code")
    detail: str | None = Field(default=None, description="and why, in a sentence")
    scheduled_at: datetime | None = None
    settled_at: datetime | None = Field(
        default=None,
        description="when it was applied (its instant, or later when the service "
        "was down then), failed or was cancelled",
    )

    @classmethod
    def of(cls, c: ChangeView) -> ScheduledOut:
        return cls(**vars(c))


class ChangeOut(ScheduledOut):
    position: int

    @classmethod
    def at(cls, c: ChangeView, position: int) -> ChangeOut:
        return cls(**vars(c), position=position)


class PoolOut(BaseModel):
    tenant_id: UUID
    pool: str
    limit: int
    used: int
    reserved: int
    allocated: int
    available: int
    utilization: float
    level: str
    warning_threshold: float
    holders_count: int
    scheduled: list[ScheduledOut] = Field(
        description="its contract changes still to come, earliest first"
    )
    position: int

    @classmethod
    def of(cls, p: PoolView, position: int) -> PoolOut:
        return cls.from_counts(
            tenant_id=p.tenant_id,
            pool=p.pool,
            limit=p.limit,
            used=p.used,
            reserved=p.reserved,
            allocated=p.allocated,
            warning_threshold=p.warning_threshold,
            scheduled=sorted(
                (ScheduledOut.of(c) for c in p.scheduled),
                key=lambda c: c.effective_at,
            ),
            position=position,
        )

    @classmethod
    def from_counts(cls, **row: Any) -> PoolOut:
        in_use = row["used"] + row["reserved"] + row["allocated"]
        limit = row["limit"]
        utilization = 1.0 if limit == 0 else in_use / limit
        return cls(
            **row,
            available=limit - in_use,
            utilization=round(utilization, 6),
            level=level_for(utilization, row["warning_threshold"]).value,
            holders_count=row["used"],
        )


class MemberOut(BaseModel):
    member_id: UUID
    tenant_id: UUID
    email: str
    display_name: str | None
    role: str
    status: str
    start_date: date | None
    end_date: date | None
    counts_as_active: bool
    position: int

    @classmethod
    def of(cls, m: MemberView, position: int) -> MemberOut:
        return cls(**vars(m), position=position)


class InvitationOut(BaseModel):
    invitation_id: UUID
    tenant_id: UUID
    email: str
    role: str
    status: str
    expires_at: datetime
    member_id: UUID | None
    position: int

    @classmethod
    def of(cls, i: InvitationView, position: int) -> InvitationOut:
        return cls(**vars(i), position=position)


class OrderOut(BaseModel):
    order_id: UUID
    tenant_id: UUID
    pool: str
    quantity: int
    note: str | None
    status: str
    placed_at: datetime
    placed_by: str
    reason: str | None
    position: int

    @classmethod
    def of(cls, o: OrderView, position: int) -> OrderOut:
        return cls(**vars(o), position=position)


class KeyOut(BaseModel):
    key_id: UUID
    name: str
    role: Role
    tenant_id: UUID | None
    revoked: bool
    created_at: datetime
    created_by: str
    secret: str | None = None  # only in the creation response, never stored
    position: int

    @classmethod
    def of(cls, k: KeyView, position: int, secret: str | None = None) -> KeyOut:
        fields = {**vars(k), "role": Role(k.role)}
        return cls(**fields, secret=secret, position=position)


class EndpointOut(BaseModel):
    endpoint_id: UUID
    url: str
    tenant_id: UUID | None
    include_subtenants: bool
    event_types: list[str] | None  # null: every event type
    description: str | None
    status: str
    created_at: datetime
    # The signing secret: in the answers that create or rotate it only (a
    # repeat with the same Idempotency-Key answers null).
    secret: str | None = None
    position: int

    @classmethod
    def of(
        cls, e: EndpointView, position: int, secret: str | None = None
    ) -> EndpointOut:
        types = list(e.event_types) if e.event_types is not None else None
        fields = {**vars(e), "event_types": types}
        return cls(**fields, secret=secret, position=position)


class TransferOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: PoolOut = Field(alias="from", description="the giver's pool")
    to: PoolOut = Field(description="the receiver's pool")
    position: int

    @classmethod
    def of(cls, t: TransferView, position: int) -> TransferOut:
        return cls(
            from_=PoolOut.of(t.from_pool, position),
            to=PoolOut.of(t.to_pool, position),
            position=position,
        )


def result_of(outcome: Outcome) -> BaseModel | None:
    """The representation of a command's result, as its REST call answers."""
    v, position = outcome.view, outcome.position
    if isinstance(v, TenantView):
        return TenantOut.of(v, position)
    if isinstance(v, PoolView):
        return PoolOut.of(v, position)
    if isinstance(v, MemberView):
        return MemberOut.of(v, position)
    if isinstance(v, InvitationView):
        return InvitationOut.of(v, position)
    if isinstance(v, OrderView):
        return OrderOut.of(v, position)
    if isinstance(v, KeyView):
        return KeyOut.of(v, position, outcome.secret)
    if isinstance(v, EndpointView):
        return EndpointOut.of(v, position, outcome.secret)
    if isinstance(v, ChangeView):
        return ChangeOut.at(v, position)
    if isinstance(v, TransferView):
        return TransferOut.of(v, position)
    return None
