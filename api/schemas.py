"""Request and response bodies of the HTTP API (never domain objects)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from domain.common import (
    Charset,
    Edition,
    Email,
    FeatureSlug,
    HolderId,
    LogoUrl,
    Name,
    Note,
    PoolSlug,
    RoleSlug,
    SeatLimit,
    TenantType,
    Threshold,
    level_for,
)
from domain.invitation import Invitation
from domain.license_order import LicenseOrder
from domain.member import Member
from domain.seat_pool import SeatPool
from domain.tenant import Tenant


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreateTenantBody(Body):
    name: Name
    parent_id: UUID | None = None
    type: TenantType = TenantType.STANDARD
    edition: Edition = Edition.BASIC
    charset: Charset = "UTF-8"
    logo_url: LogoUrl | None = None


class UpdateTenantBody(Body):
    name: Name | None = None
    logo_url: LogoUrl | None = None
    edition: Edition | None = None


class LicenseBody(Body):
    feature: FeatureSlug


class SeatLimitBody(Body):
    limit: SeatLimit
    warning_threshold: Threshold | None = None


class AssignmentBody(Body):
    holder_id: HolderId


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
    children: list[UUID]
    created_at: str
    position: int

    @classmethod
    def of(cls, tenant: Tenant, position: int) -> TenantOut:
        return cls(
            tenant_id=tenant.id,
            name=tenant.name,
            display_name=tenant.display_name,
            type=TenantType(tenant.tenant_type),
            edition=Edition(tenant.edition),
            charset=tenant.charset,
            logo_url=tenant.logo_url,
            parent_id=tenant.parent_id,
            status=tenant.status,
            licenses=sorted(tenant.licenses),
            admin_count=len(tenant.admin_ids),
            children=list(tenant.children),
            created_at=tenant.created_on.isoformat(),
            position=position,
        )


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
    position: int

    @classmethod
    def of(cls, pool: SeatPool, position: int, now: datetime) -> PoolOut:
        usage = pool.usage(now)
        return cls.from_counts(
            tenant_id=pool.tenant_id,
            pool=pool.pool,
            limit=usage.limit,
            used=usage.used,
            reserved=usage.reserved,
            allocated=usage.allocated,
            warning_threshold=pool.warning_threshold,
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


class UsageOut(BaseModel):
    tenant_id: UUID
    position: int
    pools: list[PoolOut]


class TreePool(BaseModel):
    pool: str
    limit: int
    used: int
    reserved: int
    allocated: int


class TreeNode(BaseModel):
    tenant_id: UUID
    parent_id: UUID | None
    name: str
    type: str
    edition: str
    status: str
    depth: int
    pools: list[TreePool]


class TreeOut(BaseModel):
    tenant_id: UUID
    position: int
    tenants: list[TreeNode]


class Holder(BaseModel):
    holder_id: str
    assigned_at: str
    position: int


class HoldersOut(BaseModel):
    tenant_id: UUID
    pool: str
    position: int
    holders: list[Holder]
    next_after: str | None


class AddMemberBody(Body):
    email: Email
    role: RoleSlug
    display_name: Name | None = None
    start_date: date | None = None
    end_date: date | None = None


class UpdateMemberBody(Body):
    role: RoleSlug | None = None
    status: Literal["active", "passive"] | None = None
    start_date: date | None = None
    end_date: date | None = None


class InviteBody(Body):
    email: Email
    role: RoleSlug
    expires_in_days: int = Field(default=7, ge=1, le=90, strict=True)


class AcceptBody(Body):
    display_name: Name | None = None


class ResendBody(Body):
    expires_in_days: int = Field(default=7, ge=1, le=90, strict=True)


class OrderBody(Body):
    pool: PoolSlug
    quantity: int = Field(ge=1, le=100_000, strict=True)
    note: Note | None = None


class RejectBody(Body):
    reason: Note


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
    def of(cls, member: Member, position: int, today: date) -> MemberOut:
        return cls(
            member_id=member.id,
            tenant_id=member.tenant_id,
            email=member.email,
            display_name=member.display_name,
            role=member.role,
            status=member.status,
            start_date=member.start_date,
            end_date=member.end_date,
            counts_as_active=member.counts_on(today),
            position=position,
        )


class MembersOut(BaseModel):
    tenant_id: UUID
    position: int
    members: list[MemberOut]
    next_after: str | None


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
    def of(cls, invitation: Invitation, position: int, now: datetime) -> InvitationOut:
        status = invitation.status_at(now)
        return cls(
            invitation_id=invitation.id,
            tenant_id=invitation.tenant_id,
            email=invitation.email,
            role=invitation.role,
            status=status,
            expires_at=datetime.fromisoformat(invitation.expires_at),
            member_id=invitation.member_id,
            position=position,
        )


class InvitationsOut(BaseModel):
    tenant_id: UUID
    position: int
    invitations: list[InvitationOut]
    next_after: str | None


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
    def of(cls, order: LicenseOrder, position: int) -> OrderOut:
        return cls(
            order_id=order.id,
            tenant_id=order.tenant_id,
            pool=order.pool,
            quantity=order.quantity,
            note=order.note,
            status=order.status,
            placed_at=order.created_on,
            placed_by=order.placed_by,
            reason=order.reason,
            position=position,
        )


class OrdersOut(BaseModel):
    tenant_id: UUID
    position: int
    orders: list[OrderOut]
    next_after: str | None


class ReportMember(BaseModel):
    member_id: UUID
    tenant_id: UUID
    email: str
    role: str
    status: str
    start_date: date | None
    end_date: date | None
    counted: bool
    reason: Literal["active", "future_starter", "passive", "ended"]


class ActiveUsersOut(BaseModel):
    tenant_id: UUID
    as_of: date
    position: int
    include_subtenants: bool
    active_users: int
    future_starters: int
    passive: int
    ended: int
    members: list[ReportMember]
