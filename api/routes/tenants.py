"""Tenants (Mandanten): create, read, change, licenses, lifecycle, tree."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends, Path

from api.deps import Call, call, instant_param, principal, projection_position, reads
from api.policy import listed
from api.schemas import (
    CreateTenantBody,
    LicenseBody,
    TenantOut,
    TreeNode,
    TreeOut,
    TreePool,
    UpdateTenantBody,
)
from application.auth import Principal
from application.queries.reads import Reads
from domain import commands as c
from domain.common import FEATURE_PATTERN

router = APIRouter(
    prefix="/v1/tenants", tags=["tenants"], dependencies=[Depends(listed)]
)


@router.post("", status_code=201, response_model=TenantOut)
async def create_tenant(body: CreateTenantBody, run: Call = Depends(call)) -> Any:
    return await run(body.command())


@router.get("/{tenant_id}", response_model=TenantOut)
def get_tenant(
    tenant_id: UUID,
    at: datetime | None = Depends(instant_param),
    who: Principal = Depends(principal),
    r: Reads = Depends(reads),
) -> TenantOut:
    found = r.state.tenant(who, tenant_id, at)
    return TenantOut.of(found.view, found.position)


@router.patch("/{tenant_id}", response_model=TenantOut)
async def update_tenant(
    tenant_id: UUID, body: UpdateTenantBody, run: Call = Depends(call)
) -> Any:
    return await run(body.command(tenant_id=tenant_id))


@router.post("/{tenant_id}/licenses", status_code=201, response_model=TenantOut)
async def book_license(
    tenant_id: UUID, body: LicenseBody, run: Call = Depends(call)
) -> Any:
    """201 when booked; 200 (and nothing recorded) when already held."""
    return await run(body.command(tenant_id=tenant_id))


@router.delete("/{tenant_id}/licenses/{feature}", response_model=TenantOut)
async def cancel_license(
    tenant_id: UUID,
    feature: str = Path(pattern=FEATURE_PATTERN),
    run: Call = Depends(call),
) -> Any:
    return await run(c.CancelLicense(tenant_id=tenant_id, feature=feature))


def _lifecycle(verb: str, command: type[c.Command]) -> None:
    """Handover, suspend and close: a contract action with no body."""

    async def transition(tenant_id: UUID, run: Call = Depends(call)) -> Any:
        return await run(command(tenant_id=tenant_id))  # type: ignore[call-arg]

    router.add_api_route(
        f"/{{tenant_id}}/{verb}",
        transition,
        methods=["POST"],
        response_model=TenantOut,
        name=f"{verb}_tenant",
    )


_lifecycle("handover", c.HandOverTenant)
_lifecycle("suspend", c.SuspendTenant)
_lifecycle("close", c.CloseTenant)


@router.get("/{tenant_id}/tree", response_model=TreeOut)
def tree(
    tenant_id: UUID,
    position: int = Depends(projection_position),
    who: Principal = Depends(principal),
    r: Reads = Depends(reads),
) -> TreeOut:
    """The tenant and its descendants with their pools (the tenant alone for
    a key that reads its own tenant only)."""
    nodes = r.projected.tree(who, tenant_id)
    tenants = [
        TreeNode(
            **{k: v for k, v in node.items() if k != "pools"},
            pools=[
                TreePool(**{k: p[k] for k in TreePool.model_fields})
                for p in node["pools"]
            ],
        )
        for node in nodes
    ]
    return TreeOut(tenant_id=tenant_id, position=position, tenants=tenants)
