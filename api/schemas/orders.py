"""License order bodies and answers."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field

from api.schemas.common import Body
from domain.common import Note, PoolSlug
from domain.license_order import LicenseOrder


class OrderBody(Body):
    pool: PoolSlug
    quantity: int = Field(ge=1, le=100_000, strict=True)
    note: Note | None = None


class RejectBody(Body):
    reason: Note


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
