"""Request and response bodies of the HTTP API (never domain objects)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from domain.common import (
    Charset,
    Edition,
    FeatureSlug,
    HolderId,
    LogoUrl,
    Name,
    SeatLimit,
    TenantType,
    Threshold,
    level_for,
)
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
    def of(cls, pool: SeatPool, position: int) -> PoolOut:
        return cls.from_counts(
            tenant_id=pool.tenant_id,
            pool=pool.pool,
            limit=pool.limit,
            used=pool.used,
            reserved=pool.reserved,
            allocated=pool.allocated,
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
