"""Reading the daily-usage projection: a pool's days in a range, as the usage
history, the forecast and the billing summary need them.

The days before the pool's latest event day come from their rows, written
when they closed; that day (its peaks kept with the pool, its end judged
now) and the days after it are judged from the state the pool has had since,
each on its own day. Nothing is replayed."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from domain.common import level_for
from domain.seat_count import Usage
from projections.daily_state import COLUMNS as STATE_COLUMNS
from projections.daily_state import Carried, State, day_end, day_start, state_of
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
    opened = open_days(tx, list(states(tx, pools).values()), first, last, now)
    closed = _closed(tx, pools, first, last)
    return {p: closed.get(p, []) + opened.get(p, []) for p in pools}


_COLUMNS = (
    "pool_aggregate_id, day, peak_used, peak_in_use, limit_max, end_used,"
    " end_reserved, end_allocated, end_limit, end_threshold"
)


def _closed(
    tx: Tx, pools: Sequence[str], first: date, last: date
) -> dict[str, list[Day]]:
    """The stored days: all over (their row is written when they close)."""
    found: dict[str, list[Day]] = {}
    for part, marks in chunks(pools):
        for r in tx.execute(
            f"SELECT {_COLUMNS} FROM proj_daily_usage"
            f" WHERE pool_aggregate_id IN ({marks}) AND day >= ? AND day <= ?"
            " ORDER BY pool_aggregate_id, day",
            (*part, first.isoformat(), last.isoformat()),
        ):
            # A closed day's peaks already cover its end: usage only falls
            # after the day's last event.
            day = Day(
                date.fromisoformat(r[1]),
                int(r[2]),
                int(r[3]),
                int(r[4]),
                int(r[5]),
                int(r[6]),
                int(r[7]),
                int(r[8]),
                float(r[9]),
            )
            found.setdefault(str(r[0]), []).append(day)
    return found


def open_days(
    tx: Tx, known: Sequence[State], first: date, last: date, now: datetime
) -> dict[str, list[Day]]:
    """The days not closed yet, from `first` to `last`: each pool's latest
    event day (its peaks kept with the pool, its end judged now) and the days
    after it, judged from the state the pool has had since."""
    contracted = [
        s for s in known if s.contracted and s.last_day and s.last_day <= last
    ]
    carried = _carried(tx, contracted)
    found: dict[str, list[Day]] = {}
    for state in contracted:
        days = found[state.pool] = []
        latest = state.last_day
        assert latest is not None
        if latest >= first and state.peak_used is not None:
            end = carried[state.pool].usage(min(day_end(latest), now))
            days.append(
                _day(
                    latest,
                    state.peak_used,
                    state.peak_in_use or 0,
                    state.limit_max or 0,
                    end,
                )
            )
        days += _since(state, carried[state.pool], first, last, now)
    return found


def _carried(tx: Tx, contracted: Sequence[State]) -> dict[str, Carried]:
    """Each pool's state with its reservations, in one query per chunk."""
    ids = [s.pool for s in contracted if s.reservations]
    expiries: dict[str, list[object]] = {i: [] for i in ids}
    for part, marks in chunks(ids):
        for pool, expires in tx.execute(
            "SELECT pool_aggregate_id, expires_at FROM proj_daily_reservations"
            f" WHERE pool_aggregate_id IN ({marks})",
            part,
        ):
            expiries[str(pool)].append(expires)
    return {s.pool: Carried.from_rows(s, expiries.get(s.pool, [])) for s in contracted}


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
