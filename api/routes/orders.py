"""License orders: a tenant places them; an ancestor approves or rejects."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Depends, Query

from api.auth import Guard
from api.deps import PAGE_LIMIT, command_context, container, tenant_projection_position
from api.policy import guard
from api.schemas import OrderBody, OrderOut, OrdersOut, RejectBody
from domain.commands import (
    ApproveLicenseOrder,
    CancelLicenseOrder,
    PlaceLicenseOrder,
    RejectLicenseOrder,
)
from infra.bootstrap import Container
from infra.events import CommandContext
from infra.ledger import Outcome
from projections import orders as orders_view

router = APIRouter(prefix="/v1", tags=["license orders"])


def _out(outcome: Outcome) -> OrderOut:
    return OrderOut.of(outcome.aggregate, outcome.position)


@router.post(
    "/tenants/{tenant_id}/license-orders", status_code=201, response_model=OrderOut
)
def place(
    tenant_id: UUID,
    body: OrderBody,
    access: Guard = Depends(guard),
    ctx: CommandContext = Depends(command_context),
    c: Container = Depends(container),
) -> OrderOut:
    access.check(tenant_id)
    cmd = PlaceLicenseOrder(tenant_id=tenant_id, **body.model_dump())
    return _out(c.ledger.place_order(ctx, cmd))


@router.get("/tenants/{tenant_id}/license-orders", response_model=OrdersOut)
def list_orders(
    tenant_id: UUID,
    status: str | None = Query(
        default=None, pattern="^(placed|fulfilled|rejected|cancelled)$"
    ),
    after: UUID | None = None,
    limit: int = Query(default=100, ge=1, le=PAGE_LIMIT),
    position: int = Depends(tenant_projection_position),
    access: Guard = Depends(guard),
    c: Container = Depends(container),
) -> OrdersOut:
    access.check(tenant_id)
    c.ledger.tenant(tenant_id)
    after_key = str(after) if after else None
    with c.db.read() as tx:
        rows = orders_view.orders_of(tx, str(tenant_id), status, after_key, limit)
    next_after = rows[-1]["order_id"] if len(rows) == limit else None
    return OrdersOut(
        tenant_id=tenant_id,
        position=position,
        orders=[OrderOut(**row) for row in rows],
        next_after=next_after,
    )


@router.get("/license-orders/{order_id}", response_model=OrderOut)
def get_order(
    order_id: UUID,
    access: Guard = Depends(guard),
    c: Container = Depends(container),
) -> OrderOut:
    order = c.ledger.order(order_id)
    access.check(order.tenant_id)
    return OrderOut.of(order, c.ledger.position_of(order))


@router.post("/license-orders/{order_id}/approve", response_model=OrderOut)
def approve(
    order_id: UUID,
    access: Guard = Depends(guard),
    ctx: CommandContext = Depends(command_context),
    c: Container = Depends(container),
) -> OrderOut:
    access.check(c.ledger.order(order_id).tenant_id)
    return _out(c.ledger.approve_order(ctx, ApproveLicenseOrder(order_id=order_id)))


@router.post("/license-orders/{order_id}/reject", response_model=OrderOut)
def reject(
    order_id: UUID,
    body: RejectBody,
    access: Guard = Depends(guard),
    ctx: CommandContext = Depends(command_context),
    c: Container = Depends(container),
) -> OrderOut:
    access.check(c.ledger.order(order_id).tenant_id)
    cmd = RejectLicenseOrder(order_id=order_id, reason=body.reason)
    return _out(c.ledger.reject_order(ctx, cmd))


@router.post("/license-orders/{order_id}/cancel", response_model=OrderOut)
def cancel(
    order_id: UUID,
    access: Guard = Depends(guard),
    ctx: CommandContext = Depends(command_context),
    c: Container = Depends(container),
) -> OrderOut:
    access.check(c.ledger.order(order_id).tenant_id)
    return _out(c.ledger.cancel_order(ctx, CancelLicenseOrder(order_id=order_id)))
