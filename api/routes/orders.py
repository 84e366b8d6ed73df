"""License orders: a tenant places them; an ancestor approves or rejects."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query

from api.deps import (
    PAGE_LIMIT,
    Call,
    call,
    principal,
    reads,
    tenant_projection_position,
)
from api.policy import listed
from api.schemas import OrderBody, OrderOut, OrdersOut, RejectBody
from application.auth import Principal
from application.queries.reads import Reads
from domain.commands import ApproveLicenseOrder, CancelLicenseOrder

router = APIRouter(
    prefix="/v1", tags=["license orders"], dependencies=[Depends(listed)]
)


@router.post(
    "/tenants/{tenant_id}/license-orders", status_code=201, response_model=OrderOut
)
async def place(tenant_id: UUID, body: OrderBody, run: Call = Depends(call)) -> Any:
    return await run(body.command(tenant_id=tenant_id))


@router.get("/tenants/{tenant_id}/license-orders", response_model=OrdersOut)
def list_orders(
    tenant_id: UUID,
    status: str | None = Query(
        default=None, pattern="^(placed|fulfilled|rejected|cancelled)$"
    ),
    after: UUID | None = None,
    limit: int = Query(default=100, ge=1, le=PAGE_LIMIT),
    position: int = Depends(tenant_projection_position),
    who: Principal = Depends(principal),
    r: Reads = Depends(reads),
) -> OrdersOut:
    rows = r.projected.orders(who, tenant_id, status, after, limit)
    next_after = rows[-1]["order_id"] if len(rows) == limit else None
    return OrdersOut(
        tenant_id=tenant_id,
        position=position,
        orders=[OrderOut(**row) for row in rows],
        next_after=next_after,
    )


@router.get("/license-orders/{order_id}", response_model=OrderOut)
def get_order(
    order_id: UUID, who: Principal = Depends(principal), r: Reads = Depends(reads)
) -> OrderOut:
    found = r.state.order(who, order_id)
    return OrderOut.of(found.view, found.position)


@router.post("/license-orders/{order_id}/approve", response_model=OrderOut)
async def approve(order_id: UUID, run: Call = Depends(call)) -> Any:
    return await run(ApproveLicenseOrder(order_id=order_id))


@router.post("/license-orders/{order_id}/reject", response_model=OrderOut)
async def reject(order_id: UUID, body: RejectBody, run: Call = Depends(call)) -> Any:
    return await run(body.command(order_id=order_id))


@router.post("/license-orders/{order_id}/cancel", response_model=OrderOut)
async def cancel(order_id: UUID, run: Call = Depends(call)) -> Any:
    return await run(CancelLicenseOrder(order_id=order_id))
