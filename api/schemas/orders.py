"""License order bodies and answers."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from pydantic import BaseModel

from api.schemas.common import Body, body_of
from application.present import OrderOut
from domain.commands import PlaceLicenseOrder, RejectLicenseOrder

if TYPE_CHECKING:  # mypy sees a body class; at run time it is derived
    OrderBody = Body
    RejectBody = Body
else:
    OrderBody = body_of(PlaceLicenseOrder, "OrderBody", path=("tenant_id",))
    RejectBody = body_of(RejectLicenseOrder, "RejectBody", path=("order_id",))


class OrdersOut(BaseModel):
    tenant_id: UUID
    position: int
    orders: list[OrderOut]
    next_after: str | None
