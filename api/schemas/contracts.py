"""Contracts over time: scheduled changes, transfers, the billing summary."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from pydantic import BaseModel, Field

from api.schemas.common import Body, body_of
from application.present import ChangeOut, ScheduledOut, TransferOut
from domain.commands import TransferSeats

if TYPE_CHECKING:  # mypy sees a body class; at run time it is derived
    TransferBody = Body
else:
    TransferBody = body_of(TransferSeats, "TransferBody", path=("tenant_id", "pool"))


class ScheduledChangesOut(BaseModel):
    tenant_id: UUID
    pool: str
    position: int
    changes: list[ScheduledOut] = Field(
        description="every change scheduled for the pool, by instant"
    )


class BillingLineOut(BaseModel):
    tenant_id: UUID
    tenant_name: str
    pool: str
    days: int = Field(
        description="the month's UTC days on which the pool was contracted, up to today"
    )
    limit_end: int = Field(
        description="the limit at the month's last instant (now, this month)"
    )
    limit_max: int = Field(description="the highest limit at any moment of it")
    peak_used: int = Field(description="the most seats held at any moment of it")
    seat_days: int = Field(description="the sum over its days of each day's peak")
    average_used: float = Field(description="seat_days / days, two decimals")
    end_used: int = Field(
        description="seats held at the month's last instant (now, this month)"
    )


class BillingOut(BaseModel):
    tenant_id: UUID
    month: str
    position: int
    include_subtenants: bool
    lines: list[BillingLineOut] = Field(
        description="one per tenant and pool contracted on a day of the month"
    )


__all__ = [
    "BillingLineOut",
    "BillingOut",
    "ChangeOut",
    "ScheduledChangesOut",
    "TransferBody",
    "TransferOut",
]
