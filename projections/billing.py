"""The monthly billing summary of one pool, from its days (docs/http.md "Reads"):
what a partner invoices its sub-tenants from."""

from __future__ import annotations

import re
from calendar import monthrange
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from projections.daily_read import Day, chunks, open_days
from projections.daily_state import State
from projections.sql import Tx

# ASCII digits only: int() reads any script's digits (full-width ones too), and
# the month is echoed as written (answers, a CSV file's name).
_MONTH = re.compile(r"[0-9]{4}-[0-9]{2}")


def month_days(month: str) -> tuple[date, date]:
    """The first and last day of `YYYY-MM` (ValueError when no such month)."""
    if not _MONTH.fullmatch(month):
        raise ValueError(f"{month!r} is not YYYY-MM in ASCII digits")
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


def summaries(
    tx: Tx, pools: Sequence[State], first: date, last: date, now: datetime
) -> dict[str, BillingLine]:
    """billing_line of each pool's days, without building the days: the
    closed ones are summed in SQL, the few still open judged from the state.
    Pools contracted on none of the days are left out."""
    last = min(last, now.date())
    closed = _sums(tx, [p.pool for p in pools], first, last)
    opened = open_days(tx, pools, first, last, now)
    found = {}
    for p in pools:
        days = opened.get(p.pool, [])
        sums = closed.get(p.pool)
        if sums is None and not days:
            continue
        count, seat_days, peak, limit_max, end_used, limit_end = sums or (
            0,
            0,
            0,
            0,
            0,
            0,
        )
        if days:  # the open days come after every closed one
            end_used, limit_end = days[-1].end_used, days[-1].limit
        found[p.pool] = BillingLine(
            days=count + len(days),
            limit_end=limit_end,
            limit_max=max([limit_max, *(d.limit_max for d in days)]),
            peak_used=max([peak, *(d.peak_used for d in days)]),
            seat_days=seat_days + sum(d.peak_used for d in days),
            end_used=end_used,
        )
    return found


def _sums(
    tx: Tx, pools: Sequence[str], first: date, last: date
) -> dict[str, tuple[int, int, int, int, int, int]]:
    """Per pool, over its closed days in the range: count, seat-days, peak,
    highest limit, and the last of them's end used and limit."""
    found = {}
    span = (first.isoformat(), last.isoformat())
    for part, marks in chunks(pools):
        ends = {
            str(pool): (int(used), int(limit))
            for pool, used, limit in tx.execute(
                "SELECT u.pool_aggregate_id, u.end_used, u.end_limit"
                " FROM proj_daily_usage u JOIN (SELECT pool_aggregate_id,"
                " MAX(day) AS day FROM proj_daily_usage"
                f" WHERE pool_aggregate_id IN ({marks}) AND day >= ? AND day <= ?"
                " GROUP BY pool_aggregate_id) m"
                " ON m.pool_aggregate_id = u.pool_aggregate_id AND m.day = u.day",
                (*part, *span),
            )
        }
        for pool, count, seat_days, peak, limit_max in tx.execute(
            "SELECT pool_aggregate_id, COUNT(*), SUM(peak_used), MAX(peak_used),"
            " MAX(limit_max) FROM proj_daily_usage"
            f" WHERE pool_aggregate_id IN ({marks}) AND day >= ? AND day <= ?"
            " GROUP BY pool_aggregate_id",
            (*part, *span),
        ):
            used, limit = ends[str(pool)]
            found[str(pool)] = (
                int(count),
                int(seat_days),
                int(peak),
                int(limit_max),
                used,
                limit,
            )
    return found
