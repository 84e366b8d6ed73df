"""Response bodies of the usage-history report."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class DayUsageOut(BaseModel):
    """One UTC day of one pool. Peaks are each the maximum over the day (its
    start and the moment after each of its events); `end_*`, `limit` and
    `level` are judged at the day's end, 23:59:59.999999Z (for today: now),
    so end dates and invitation expiries of that day are honoured."""

    model_config = ConfigDict(from_attributes=True)

    day: date
    peak_used: int = Field(description="most seats held at any moment of the day")
    peak_in_use: int = Field(
        description="most of used + reserved + allocated at any moment of the day"
    )
    end_used: int
    end_reserved: int
    end_allocated: int
    end_in_use: int = Field(description="end_used + end_reserved + end_allocated")
    limit: int = Field(description="the limit at the day's end")
    level: str = Field(description="ok, warning or full at the day's end")


class PoolHistoryOut(BaseModel):
    pool: str
    days: list[DayUsageOut] = Field(
        description="from `from` to `to`, leaving out days before the pool's "
        "limit was first set"
    )


class UsageHistoryOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    tenant_id: UUID
    from_: date = Field(alias="from")
    to: date
    position: int = Field(
        description="the latest position among the tenant's and the reported "
        "pools' events: every event of theirs up to it is in the report"
    )
    pools: list[PoolHistoryOut]
