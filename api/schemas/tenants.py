"""Tenant bodies and answers: create, change, licenses, tree."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel

from api.schemas.common import Body
from domain.common import (
    Charset,
    Edition,
    FeatureSlug,
    LogoUrl,
    Name,
    TenantType,
)
from domain.tenant import Tenant


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


class TreePool(BaseModel):
    pool: str
    limit: int
    used: int
    reserved: int
    allocated: int
    warning_threshold: float


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
