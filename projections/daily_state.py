"""A pool's state as the daily-usage projection keeps it, and its usage at
any moment, counted exactly as the pool counts (domain/seat_pool.py): a seat
counts through its end date, a reservation until its expiry instant."""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from domain.common import instant
from domain.seat_count import Usage
from projections.sql import Tx


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, UTC)


def day_end(day: date) -> datetime:
    """A day's last instant, as the usage history has always judged it."""
    return datetime.combine(day, time.max, UTC)


@dataclass(frozen=True)
class State:
    pool: str
    tenant_id: str
    slug: str
    limit: int | None  # None: tracked, not contracted
    warning_threshold: float
    open_seats: int  # holders without an end date
    allocated: int
    last_day: date | None  # the day of its latest event

    @property
    def contracted(self) -> bool:
        return self.limit is not None

    def usage_at(self, tx: Tx, moment: datetime) -> Usage:
        """Counted in SQL: right after an event, one moment is needed."""
        ending = tx.execute(
            "SELECT COALESCE(SUM(seats), 0) FROM proj_daily_ends"
            " WHERE pool_aggregate_id = ? AND end_date >= ?",
            (self.pool, moment.date().isoformat()),
        )
        reserved = tx.execute(
            "SELECT COUNT(*) FROM proj_daily_reservations"
            " WHERE pool_aggregate_id = ? AND expires_at > ?",
            (self.pool, instant(moment)),
        )
        return Usage(
            limit=self.limit or 0,
            used=self.open_seats + int(ending[0][0]),
            reserved=int(reserved[0][0]),
            allocated=self.allocated,
            warning_threshold=self.warning_threshold,
        )


STATE_COLUMNS = (
    "pool_aggregate_id, tenant_id, pool, seat_limit, warning_threshold,"
    " open_seats, allocated, last_day"
)


def state_of(row: Sequence[object]) -> State:
    pool, tenant, slug, limit, threshold, open_seats, allocated, last_day = row
    return State(
        pool=str(pool),
        tenant_id=str(tenant),
        slug=str(slug),
        limit=None if limit is None else int(str(limit)),
        warning_threshold=float(str(threshold)),
        open_seats=int(str(open_seats)),
        allocated=int(str(allocated)),
        last_day=date.fromisoformat(str(last_day)) if last_day else None,
    )


def load_state(tx: Tx, pool: str) -> State | None:
    found = tx.execute(
        f"SELECT {STATE_COLUMNS} FROM proj_daily_pools WHERE pool_aggregate_id = ?",
        (pool,),
    )
    return state_of(found[0]) if found else None


@dataclass(frozen=True)
class Carried:
    """The state carried through days without events: counted in Python, so
    that many days cost two queries, not two per day."""

    state: State
    ends: tuple[tuple[str, int], ...]  # (end date, seats), ascending
    expiries: tuple[str, ...]  # ascending

    @classmethod
    def of(cls, tx: Tx, state: State) -> Carried:
        ends = tx.execute(
            "SELECT end_date, seats FROM proj_daily_ends"
            " WHERE pool_aggregate_id = ? ORDER BY end_date",
            (state.pool,),
        )
        expiries = tx.execute(
            "SELECT expires_at FROM proj_daily_reservations"
            " WHERE pool_aggregate_id = ? ORDER BY expires_at",
            (state.pool,),
        )
        return cls.from_rows(state, ends, (e for (e,) in expiries))

    @classmethod
    def from_rows(
        cls,
        state: State,
        ends: Iterable[Sequence[object]],
        expiries: Iterable[object],
    ) -> Carried:
        return cls(
            state,
            tuple(sorted((str(e), int(str(n))) for e, n in ends)),
            tuple(sorted(str(x) for x in expiries)),
        )

    def usage(self, moment: datetime) -> Usage:
        day, at = moment.date().isoformat(), instant(moment)
        ending = sum(n for end, n in self.ends if end >= day)
        reserved = len(self.expiries) - bisect.bisect_right(self.expiries, at)
        s = self.state
        return Usage(
            s.limit or 0,
            s.open_seats + ending,
            reserved,
            s.allocated,
            s.warning_threshold,
        )
