"""A pool's state as the daily-usage projection keeps it, and its usage at
any moment, counted exactly as the pool counts (domain/seat_pool.py): a seat
counts through its end date, a reservation until its expiry instant."""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from domain.common import instant
from domain.seat_count import Usage
from projections.sql import Tx


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, UTC)


def day_end(day: date) -> datetime:
    """A day's last instant, as the usage history has always judged it."""
    return datetime.combine(day, time.max, UTC)


@dataclass
class State:
    """One row of proj_daily_pools. Changed in place while an event is
    applied, then written back once."""

    pool: str
    tenant_id: str
    slug: str
    limit: int | None  # None: tracked, not contracted
    warning_threshold: float
    open_seats: int  # holders without an end date
    reservations: int  # rows of proj_daily_reservations
    allocated: int
    last_day: date | None  # the day of its latest event
    # That day's peaks so far (None while it was not contracted): the row of
    # proj_daily_usage is written when a later day closes it.
    peak_used: int | None = None
    peak_in_use: int | None = None
    limit_max: int | None = None
    # Holders with an end date, counted by date, from the latest day on: an
    # earlier date never counts again, so it is dropped and the map stays as
    # small as the dates to come.
    ends: dict[str, int] = field(default_factory=dict)

    @property
    def contracted(self) -> bool:
        return self.limit is not None

    def used(self, day: str) -> int:
        return self.open_seats + sum(n for end, n in self.ends.items() if end >= day)

    def usage_at(self, tx: Tx, moment: datetime) -> Usage:
        """Right after an event; a pool without reservations needs no query."""
        reserved = 0
        if self.reservations:
            reserved = int(
                tx.execute(
                    "SELECT COUNT(*) FROM proj_daily_reservations"
                    " WHERE pool_aggregate_id = ? AND expires_at > ?",
                    (self.pool, instant(moment)),
                )[0][0]
            )
        return Usage(
            self.limit or 0,
            self.used(moment.date().isoformat()),
            reserved,
            self.allocated,
            self.warning_threshold,
        )

    def sample(self, usage: Usage) -> None:
        """A moment of the day: the peaks take it in."""
        self.peak_used = max(self.peak_used or 0, usage.used)
        self.peak_in_use = max(self.peak_in_use or 0, usage.in_use)
        self.limit_max = max(self.limit_max or 0, usage.limit)

    def count(self, end: str, delta: int) -> None:
        """A dated seat comes or goes; one whose date was dropped no longer
        counted anyway."""
        seats = self.ends.get(end, 0) + delta
        if seats > 0:
            self.ends[end] = seats
        else:
            self.ends.pop(end, None)

    def forget_before(self, day: date) -> None:
        cut = day.isoformat()
        self.ends = {end: n for end, n in self.ends.items() if end >= cut}

    def row(self) -> tuple[object, ...]:
        return (
            self.pool,
            self.tenant_id,
            self.slug,
            self.limit,
            self.warning_threshold,
            self.open_seats,
            self.reservations,
            self.allocated,
            self.last_day.isoformat() if self.last_day else None,
            self.peak_used,
            self.peak_in_use,
            self.limit_max,
            json.dumps(self.ends, sort_keys=True, separators=(",", ":")),
        )


COLUMNS = (
    "pool_aggregate_id, tenant_id, pool, seat_limit, warning_threshold,"
    " open_seats, reservations, allocated, last_day, peak_used, peak_in_use,"
    " limit_max, ends"
)


def _int(value: object) -> int | None:
    return None if value is None else int(str(value))


def state_of(row: Sequence[object]) -> State:
    pool, tenant, slug, limit, threshold, open_seats, reserved, allocated = row[:8]
    last_day, peak_used, peak_in_use, limit_max, ends = row[8:13]
    return State(
        str(pool),
        str(tenant),
        str(slug),
        _int(limit),
        float(str(threshold)),
        int(str(open_seats)),
        int(str(reserved)),
        int(str(allocated)),
        date.fromisoformat(str(last_day)) if last_day else None,
        _int(peak_used),
        _int(peak_in_use),
        _int(limit_max),
        {str(k): int(v) for k, v in json.loads(str(ends)).items()},
    )


def load_state(tx: Tx, pool: str) -> State | None:
    found = tx.execute(
        f"SELECT {COLUMNS} FROM proj_daily_pools WHERE pool_aggregate_id = ?",
        (pool,),
    )
    return state_of(found[0]) if found else None


def save_state(tx: Tx, state: State) -> None:
    names = [c.strip() for c in COLUMNS.split(",")]
    sets = ", ".join(f"{n} = excluded.{n}" for n in names[1:])
    tx.execute(
        f"INSERT INTO proj_daily_pools ({COLUMNS}) VALUES"
        f" ({', '.join('?' * len(names))}) ON CONFLICT (pool_aggregate_id)"
        f" DO UPDATE SET {sets}",
        state.row(),
    )


@dataclass(frozen=True)
class Carried:
    """The state carried through days without events, counted in Python: many
    days cost one query (none without reservations), not one per day."""

    state: State
    expiries: tuple[str, ...]  # ascending

    @classmethod
    def of(cls, tx: Tx, state: State) -> Carried:
        expiries: Iterable[Sequence[object]] = []
        if state.reservations:
            expiries = tx.execute(
                "SELECT expires_at FROM proj_daily_reservations"
                " WHERE pool_aggregate_id = ?",
                (state.pool,),
            )
        return cls.from_rows(state, (e for (e,) in expiries))

    @classmethod
    def from_rows(cls, state: State, expiries: Iterable[object]) -> Carried:
        return cls(state, tuple(sorted(str(x) for x in expiries)))

    def usage(self, moment: datetime) -> Usage:
        at = instant(moment)
        reserved = len(self.expiries) - bisect.bisect_right(self.expiries, at)
        s = self.state
        return Usage(
            s.limit or 0,
            s.used(moment.date().isoformat()),
            reserved,
            s.allocated,
            s.warning_threshold,
        )
