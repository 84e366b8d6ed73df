"""Tenant bodies and answers: create, change, licenses, tree."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from pydantic import BaseModel

from api.schemas.common import Body, body_of
from domain.commands import BookLicense, CreateTenant, UpdateTenant

if TYPE_CHECKING:  # mypy sees a body class; at run time it is derived
    CreateTenantBody = Body
    UpdateTenantBody = Body
    LicenseBody = Body
else:
    CreateTenantBody = body_of(CreateTenant, "CreateTenantBody")
    UpdateTenantBody = body_of(UpdateTenant, "UpdateTenantBody", path=("tenant_id",))
    LicenseBody = body_of(BookLicense, "LicenseBody", path=("tenant_id",))


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
