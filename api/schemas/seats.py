"""Seat pool bodies and answers: limits, assignments, usage, holders."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from pydantic import BaseModel

from api.schemas.common import Body, body_of
from application.present import PoolOut
from domain.commands import AssignSeat, SetSeatLimit

if TYPE_CHECKING:  # mypy sees a body class; at run time it is derived
    SeatLimitBody = Body
    AssignmentBody = Body
else:
    SeatLimitBody = body_of(SetSeatLimit, "SeatLimitBody", path=("tenant_id", "pool"))
    AssignmentBody = body_of(AssignSeat, "AssignmentBody", path=("tenant_id", "pool"))


class UsageOut(BaseModel):
    tenant_id: UUID
    position: int
    pools: list[PoolOut]


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
