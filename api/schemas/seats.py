"""Seat pool bodies and answers: limits, assignments, usage, holders."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from api.schemas.common import Body
from domain.common import HolderId, SeatLimit, Threshold, level_for
from domain.seat_pool import SeatPool


class SeatLimitBody(Body):
    limit: SeatLimit
    warning_threshold: Threshold | None = None


class AssignmentBody(Body):
    holder_id: HolderId


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
    def of(cls, pool: SeatPool, position: int, now: datetime) -> PoolOut:
        usage = pool.usage(now)
        return cls.from_counts(
            tenant_id=pool.tenant_id,
            pool=pool.pool,
            limit=usage.limit,
            used=usage.used,
            reserved=usage.reserved,
            allocated=usage.allocated,
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
