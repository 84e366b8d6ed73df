"""Daily usage of one seat pool, derived from its events: each day's peak and
its state at the day's end. This replay is the definition: the daily-usage
projection (projections/daily.py), which the reports read, is held to answer
exactly what it answers (tests/unit/test_daily_usage.py), and bench.billing
measures it as the cost the projection saves.

Pure: the caller passes the pool's events (in order), the days and `now`, the
moment the report is cut at. Between two events usage can only fall (an end
date stops counting at midnight, a reservation at its expiry), so a day's
peak is at its start or right after one of its events; those are the moments
sampled. The use cases free a seat before they take one within a command
(accepting an invitation releases the reservation, then assigns), so a
transient state inside one command never raises a peak.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol

from domain.seat_pool import SeatPool, Usage


class PoolEvent(Protocol):
    """A SeatPool event as the event store gives it back."""

    @property
    def timestamp(self) -> datetime: ...

    def mutate(self, aggregate: SeatPool | None) -> SeatPool | None: ...


@dataclass(frozen=True)
class DayUsage:
    day: date
    peak_used: int
    peak_in_use: int
    end_used: int
    end_reserved: int
    end_allocated: int
    end_in_use: int
    limit: int
    level: str


def usage_by_day(
    events: Iterable[PoolEvent], first: date, last: date, now: datetime
) -> list[DayUsage]:
    """One row per day from `first` to `last` on which the pool was contracted
    (days before its contract are left out; days without events carry the
    state on, judged again on that day). A day ends at 23:59:59.999999 UTC,
    or at `now` for the day that is not over; events after `now` are ignored."""
    replay = _Replay(events, now)
    replay.skip_before(first)
    rows = []
    for day in _days(first, last):
        start = datetime.combine(day, time.min, UTC)
        samples = [replay.usage(start), *replay.through(day)]
        end = min(datetime.combine(day, time.max, UTC), now)
        row = _row(day, samples, replay.usage(end))
        if row is not None:
            rows.append(row)
    return rows


def _days(first: date, last: date) -> Iterator[date]:
    for offset in range((last - first).days + 1):
        yield first + timedelta(days=offset)


def _row(day: date, samples: list[Usage | None], end: Usage | None) -> DayUsage | None:
    if end is None:
        return None  # not contracted by the day's end, so not on any earlier moment
    seen = [s for s in samples if s is not None] + [end]
    return DayUsage(
        day=day,
        peak_used=max(s.used for s in seen),
        peak_in_use=max(s.in_use for s in seen),
        end_used=end.used,
        end_reserved=end.reserved,
        end_allocated=end.allocated,
        end_in_use=end.in_use,
        limit=end.limit,
        level=end.level.value,
    )


class _Replay:
    """The pool's state, rebuilt event by event as the days go by."""

    def __init__(self, events: Iterable[PoolEvent], now: datetime) -> None:
        self._events = iter(events)
        self._next = next(self._events, None)
        self._now = now
        self.pool: SeatPool | None = None

    def usage(self, moment: datetime) -> Usage | None:
        """Usage at `moment`; None while the pool is absent or only tracked
        (not contracted: the dashboard leaves such a pool out too)."""
        pool = self.pool
        return pool.usage(moment) if pool is not None and pool.contracted else None

    def skip_before(self, first: date) -> None:
        while (moment := self._due()) is not None and _day_of(moment) < first:
            self._apply()

    def through(self, day: date) -> list[Usage | None]:
        """Applies the events up to the end of `day`, sampling usage right
        after each one, at its own moment."""
        samples = []
        while (moment := self._due()) is not None and _day_of(moment) <= day:
            self._apply()
            samples.append(self.usage(moment))
        return samples

    def _due(self) -> datetime | None:
        event = self._next
        if event is None or event.timestamp > self._now:
            return None
        return event.timestamp

    def _apply(self) -> None:
        if self._next is not None:
            self.pool = self._next.mutate(self.pool)
            self._next = next(self._events, None)


def _day_of(moment: datetime) -> date:
    return moment.astimezone(UTC).date()
