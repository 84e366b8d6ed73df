"""Tenants (Mandanten): create, read, change, licenses, lifecycle, tree."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Response

from api.auth import Guard
from api.deps import command_context, container, instant_param, projection_position
from api.policy import guard
from api.schemas import (
    CreateTenantBody,
    LicenseBody,
    TenantOut,
    TreeNode,
    TreeOut,
    TreePool,
    UpdateTenantBody,
)
from domain.commands import CreateTenant, UpdateTenant
from domain.common import FEATURE_PATTERN
from domain.errors import NotFound
from domain.tenant import Tenant
from infra.bootstrap import Container
from infra.events import CommandContext
from infra.ledger import Ledger, Outcome
from projections import tenants as tenant_tree
from projections import usage

router = APIRouter(prefix="/v1/tenants", tags=["tenants"])


def _out(outcome: Outcome) -> TenantOut:
    return TenantOut.of(outcome.aggregate, outcome.position)


@router.post("", status_code=201, response_model=TenantOut)
def create_tenant(
    body: CreateTenantBody,
    access: Guard = Depends(guard),
    ctx: CommandContext = Depends(command_context),
    c: Container = Depends(container),
) -> TenantOut:
    access.check(body.parent_id)  # None: a root tenant
    return _out(c.ledger.create_tenant(ctx, CreateTenant(**body.model_dump())))


@router.get("/{tenant_id}", response_model=TenantOut)
def get_tenant(
    tenant_id: UUID,
    at: datetime | None = Depends(instant_param),
    access: Guard = Depends(guard),
    c: Container = Depends(container),
) -> TenantOut:
    access.check(tenant_id)
    if at is None:
        tenant = c.ledger.tenant(tenant_id)
    else:
        tenant = c.ledger.at(Tenant, tenant_id, at, "tenant")
    return TenantOut.of(tenant, c.ledger.position_of(tenant))


@router.patch("/{tenant_id}", response_model=TenantOut)
def update_tenant(
    tenant_id: UUID,
    body: UpdateTenantBody,
    access: Guard = Depends(guard),
    ctx: CommandContext = Depends(command_context),
    c: Container = Depends(container),
) -> TenantOut:
    access.check(tenant_id)
    fields = body.model_dump(exclude_unset=True)
    return _out(
        c.ledger.update_tenant(ctx, UpdateTenant(tenant_id=tenant_id, **fields))
    )


@router.post("/{tenant_id}/licenses", status_code=201, response_model=TenantOut)
def book_license(
    tenant_id: UUID,
    body: LicenseBody,
    response: Response,
    access: Guard = Depends(guard),
    ctx: CommandContext = Depends(command_context),
    c: Container = Depends(container),
) -> TenantOut:
    access.check(tenant_id)
    outcome = c.ledger.book_license(ctx, tenant_id, body.feature)
    if not outcome.changed:
        response.status_code = 200  # already held: nothing recorded
    return _out(outcome)


@router.delete("/{tenant_id}/licenses/{feature}", response_model=TenantOut)
def cancel_license(
    tenant_id: UUID,
    feature: str = Path(pattern=FEATURE_PATTERN),
    access: Guard = Depends(guard),
    ctx: CommandContext = Depends(command_context),
    c: Container = Depends(container),
) -> TenantOut:
    access.check(tenant_id)
    return _out(c.ledger.cancel_license(ctx, tenant_id, feature))


def _lifecycle(
    verb: str, use_case: Callable[[Ledger, CommandContext, UUID], Outcome]
) -> None:
    """Handover, suspend and close: a contract action with no body."""

    def transition(
        tenant_id: UUID,
        access: Guard = Depends(guard),
        ctx: CommandContext = Depends(command_context),
        c: Container = Depends(container),
    ) -> TenantOut:
        access.check(tenant_id)
        return _out(use_case(c.ledger, ctx, tenant_id))

    router.add_api_route(
        f"/{{tenant_id}}/{verb}",
        transition,
        methods=["POST"],
        response_model=TenantOut,
        name=f"{verb}_tenant",
    )


_lifecycle("handover", Ledger.hand_over)
_lifecycle("suspend", Ledger.suspend_tenant)
_lifecycle("close", Ledger.close_tenant)


@router.get("/{tenant_id}/tree", response_model=TreeOut)
def tree(
    tenant_id: UUID,
    position: int = Depends(projection_position),
    access: Guard = Depends(guard),
    c: Container = Depends(container),
) -> TreeOut:
    access.check(tenant_id)
    now = c.ledger.clock()
    with c.db.read() as tx:
        nodes = tenant_tree.subtree(tx, str(tenant_id))
        if not nodes:
            raise NotFound("tenant not found")
        tenants = [
            TreeNode(
                **node,
                pools=[
                    TreePool(**{k: p[k] for k in TreePool.model_fields})
                    for p in usage.pools_of(tx, node["tenant_id"], now)
                ],
            )
            for node in nodes
        ]
    return TreeOut(tenant_id=tenant_id, position=position, tenants=tenants)
