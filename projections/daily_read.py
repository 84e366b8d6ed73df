"""Reading the daily-usage projection: a pool's days in a range, as the usage
history, the forecast and the billing summary need them.

Days up to the pool's latest event day come from their rows (that day's end
judged now, from the state); the days after it are judged from the state the
pool has had since, each on its own day. Nothing is replayed."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from domain.common import level_for
from domain.seat_count import Usage
from projections.daily_state import (
    STATE_COLUMNS,
    Carried,
    State,
    day_end,
    day_start,
    state_of,
)
from projections.sql import Tx

CHUNK = 500  # ids per IN (...): well under SQLite's bound on parameters


@dataclass(frozen=True)
class Day:
    """One UTC day of one contracted pool."""

    day: date
    peak_used: int
    peak_in_use: int
    limit_max: int
    end_used: int
    end_reserved: int
    end_allocated: int
    limit: int  # at the day's end
    warning_threshold: float  # at the day's end

    @property
    def end_in_use(self) -> int:
        return self.end_used + self.end_reserved + self.end_allocated

    @property
    def level(self) -> str:
        utilization = 1.0 if self.limit == 0 else self.end_in_use / self.limit
        return level_for(utilization, self.warning_threshold).value


def _day(
    day: date, peak_used: int, peak_in_use: int, limit_max: int, end: Usage
) -> Day:
    return Day(
        day=day,
        peak_used=max(peak_used, end.used),
        peak_in_use=max(peak_in_use, end.in_use),
        limit_max=max(limit_max, end.limit),
        end_used=end.used,
        end_reserved=end.reserved,
        end_allocated=end.allocated,
        limit=end.limit,
        warning_threshold=end.warning_threshold,
    )


def chunks(ids: Sequence[str]) -> Iterator[tuple[Sequence[str], str]]:
    for at in range(0, len(ids), CHUNK):
        part = ids[at : at + CHUNK]
        yield part, ",".join("?" * len(part))


def states(tx: Tx, pools: Sequence[str]) -> dict[str, State]:
    found: dict[str, State] = {}
    for part, marks in chunks(pools):
        rows = tx.execute(
            f"SELECT {STATE_COLUMNS} FROM proj_daily_pools"
            f" WHERE pool_aggregate_id IN ({marks})",
            part,
        )
        found.update((str(r[0]), state_of(r)) for r in rows)
    return found


def contracted_pools(tx: Tx, tenants: Sequence[str]) -> list[State]:
    """The tenants' contracted pools, by tenant (in the order given), then
    by pool."""
    found: list[State] = []
    for part, marks in chunks(tenants):
        rows = tx.execute(
            f"SELECT {STATE_COLUMNS} FROM proj_daily_pools"
            f" WHERE tenant_id IN ({marks}) AND seat_limit IS NOT NULL",
            part,
        )
        found += [state_of(r) for r in rows]
    order = {t: i for i, t in enumerate(tenants)}
    return sorted(found, key=lambda s: (order[s.tenant_id], s.slug))


def days_of(
    tx: Tx, pools: Sequence[str], first: date, last: date, now: datetime
) -> dict[str, list[Day]]:
    """Each pool's contracted days from `first` to `last` (never after now's
    day), in order. Pools unknown, or not contracted in the range, have none."""
    last = min(last, now.date())
    known = states(tx, pools)
    carried = _carried(tx, [s for s in known.values() if s.contracted])
    stored = _rows(tx, pools, first, last)
    found: dict[str, list[Day]] = {}
    for pool in pools:
        state, now_state = known.get(pool), carried.get(pool)
        days = []
        for row in stored.get(pool, []):
            day = _stored(row, now_state, now)
            if day is not None:
                days.append(day)
        if state is not None and now_state is not None:
            days += _since(state, now_state, first, last, now)
        found[pool] = days
    return found


Row = tuple[Any, ...]


def _rows(
    tx: Tx, pools: Sequence[str], first: date, last: date
) -> dict[str, list[Row]]:
    found: dict[str, list[Row]] = {}
    for part, marks in chunks(pools):
        rows = tx.execute(
            "SELECT pool_aggregate_id, day, peak_used, peak_in_use, limit_max,"
            " end_used, end_reserved, end_allocated, end_limit, end_threshold"
            f" FROM proj_daily_usage WHERE pool_aggregate_id IN ({marks})"
            " AND day >= ? AND day <= ? ORDER BY pool_aggregate_id, day",
            (*part, first.isoformat(), last.isoformat()),
        )
        for r in rows:
            found.setdefault(str(r[0]), []).append(r)
    return found


def _stored(row: Row, carried: Carried | None, now: datetime) -> Day | None:
    """A stored day; the latest one, not closed yet, ends as the pool is now
    (at the day's end, or now when the day is not over)."""
    day = date.fromisoformat(row[1])
    if row[5] is not None:
        end = Usage(int(row[8]), int(row[5]), int(row[6]), int(row[7]), float(row[9]))
    elif carried is not None:
        end = carried.usage(min(day_end(day), now))
    else:
        return None  # not expected: a day row exists only for a contracted pool
    return _day(day, int(row[2]), int(row[3]), int(row[4]), end)


def _carried(tx: Tx, contracted: Sequence[State]) -> dict[str, Carried]:
    ids = [s.pool for s in contracted]
    ends: dict[str, list[tuple[object, object]]] = {i: [] for i in ids}
    expiries: dict[str, list[object]] = {i: [] for i in ids}
    for part, marks in chunks(ids):
        for pool, end, seats in tx.execute(
            "SELECT pool_aggregate_id, end_date, seats FROM proj_daily_ends"
            f" WHERE pool_aggregate_id IN ({marks})",
            part,
        ):
            ends[str(pool)].append((end, seats))
        for pool, expires in tx.execute(
            "SELECT pool_aggregate_id, expires_at FROM proj_daily_reservations"
            f" WHERE pool_aggregate_id IN ({marks})",
            part,
        ):
            expiries[str(pool)].append(expires)
    return {
        s.pool: Carried.from_rows(s, ends[s.pool], expiries[s.pool]) for s in contracted
    }


def _since(
    state: State, carried: Carried, first: date, last: date, now: datetime
) -> list[Day]:
    """The days after the pool's latest event, judged from the state it has
    had since, each on its own day (the last one up to now)."""
    if state.last_day is None:
        return []
    start = max(first, state.last_day + timedelta(days=1))
    days = []
    for offset in range((last - start).days + 1):
        day = start + timedelta(days=offset)
        begin = carried.usage(day_start(day))
        end = carried.usage(min(day_end(day), now))
        days.append(_day(day, begin.used, begin.in_use, begin.limit, end))
    return days
