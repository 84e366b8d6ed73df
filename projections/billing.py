"""The monthly billing summary of one pool, from its days (API.md "Reports"):
what a partner invoices its sub-tenants from."""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from projections.daily_read import Day


def month_days(month: str) -> tuple[date, date]:
    """The first and last day of `YYYY-MM` (ValueError when no such month)."""
    year, number = (int(part) for part in month.split("-"))
    return date(year, number, 1), date(year, number, monthrange(year, number)[1])


@dataclass(frozen=True)
class BillingLine:
    days: int  # the month's days on which the pool was contracted, to today
    limit_end: int  # as of the month's last instant (now, for this month)
    limit_max: int  # the highest limit at any moment of the month
    peak_used: int  # the most seats held at any moment of the month
    seat_days: int  # the sum over those days of each day's peak used
    end_used: int  # as of the month's last instant (now, for this month)

    @property
    def average_used(self) -> Decimal:
        """seat_days / days, to two decimals (half up: a cent is a cent)."""
        return (Decimal(self.seat_days) / Decimal(self.days)).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )


def billing_line(days: list[Day]) -> BillingLine | None:
    """None when the pool was contracted on none of the days."""
    if not days:
        return None
    return BillingLine(
        days=len(days),
        limit_end=days[-1].limit,
        limit_max=max(d.limit_max for d in days),
        peak_used=max(d.peak_used for d in days),
        seat_days=sum(d.peak_used for d in days),
        end_used=days[-1].end_used,
    )
