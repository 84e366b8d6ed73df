"""Pools whose events carry the moments a test chooses, fed both to the
daily-usage projection and to the reference replay (projections/
usage_history.py), so a test can hold the two side by side."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID, uuid4

from domain.common import instant
from domain.errors import DomainError
from domain.seat_pool import SeatPool
from infra.events import jsonable
from projections.daily_read import Day, days_of
from projections.envelope import Envelope
from projections.usage_history import DayUsage, usage_by_day
from tests.unit.sqlite_projections import ENVELOPE_META, SqliteTx, feed

CHILD = uuid4()
D1 = date(2025, 3, 1)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), UTC)


class Scripted:
    """One pool: every verb stamps its events with the moment given."""

    def __init__(self, moment: datetime, limit: int | None = 10) -> None:
        self.events: list[Any] = []
        self.position = 0
        self.pool = SeatPool.open(uuid4(), "seats", limit)
        self._stamp(moment)

    @property
    def id(self) -> str:
        return str(self.pool.id)

    def assign(self, moment: datetime, *holders: str, end: date | None = None) -> None:
        for holder in holders:
            self.pool.assign(holder, moment, end.isoformat() if end else None)
        self._stamp(moment)

    def release(self, moment: datetime, *holders: str) -> None:
        for holder in holders:
            self.pool.release(holder, moment)
        self._stamp(moment)

    def end_date(self, moment: datetime, holder: str, end: date | None) -> None:
        self.pool.change_end_date(holder, end.isoformat() if end else None, moment)
        self._stamp(moment)

    def reserve(self, moment: datetime, invitation: str, expires: datetime) -> None:
        self.pool.reserve(invitation, instant(expires), moment)
        self._stamp(moment)

    def unreserve(self, moment: datetime, invitation: str) -> None:
        self.pool.release_reservation(invitation, moment)
        self._stamp(moment)

    def set_limit(self, moment: datetime, limit: int) -> None:
        self.pool.set_limit(limit, None, moment)
        self._stamp(moment)

    def allocate(self, moment: datetime, limit: int) -> None:
        self.pool.allocate_to_child(CHILD, limit, moment)
        self._stamp(moment)

    def _stamp(self, moment: datetime) -> None:
        pending = self.pool.collect_events()
        self.events += [
            replace(e, timestamp=moment + timedelta(microseconds=i))
            for i, e in enumerate(pending)
        ]

    # What the two sides answer -------------------------------------------------

    def reference(
        self, first: date, last: date, now: datetime, through: datetime | None = None
    ) -> list[DayUsage]:
        """By replay: the events up to `through` (all), judged at `now`."""
        events = [e for e in self.events if through is None or e.timestamp <= through]
        return usage_by_day(events, first, last, now)

    def projected(
        self, tx: SqliteTx, first: date, last: date, now: datetime
    ) -> list[Day]:
        return days_of(tx, [self.id], first, last, now)[self.id]

    def envelopes(self, through: datetime | None = None) -> list[Envelope]:
        """The events as the log hands them out (up to `through`)."""
        found = []
        for event in self.events:
            if through is not None and event.timestamp > through:
                continue
            found.append(envelope(event, self.pool.tenant_id, len(found) + 1))
        return found

    def feed(self, tx: SqliteTx, through: datetime | None = None) -> None:
        feed(tx, *self.envelopes(through))


def envelope(event: Any, tenant: UUID, position: int) -> Envelope:
    payload = {k: jsonable(v) for k, v in vars(event).items() if k not in ENVELOPE_META}
    return Envelope(
        position=position,
        event_id=str(uuid4()),
        aggregate_id=str(event.originator_id),
        aggregate_type="SeatPool",
        aggregate_version=event.originator_version,
        type=type(event).__name__,
        schema_version=1,
        occurred_at=event.timestamp.isoformat(),
        tenant_id=str(tenant),
        actor="key:test",
        correlation_id=None,
        causation_id=None,
        payload=payload,
    )


def as_reference(day: Day) -> DayUsage:
    """A projected day in the reference's shape."""
    return DayUsage(
        day=day.day,
        peak_used=day.peak_used,
        peak_in_use=day.peak_in_use,
        end_used=day.end_used,
        end_reserved=day.end_reserved,
        end_allocated=day.end_allocated,
        end_in_use=day.end_in_use,
        limit=day.limit,
        level=day.level,
    )


def random_history(rng: random.Random) -> Scripted:
    pool = Scripted(at(D1, 8), limit=rng.choice([None, 6]))
    holders: list[str] = []
    invitations: list[str] = []
    moment = at(D1, 9)
    for step in range(40):
        moment += timedelta(hours=rng.choice([1, 3, 7, 20, 49]))
        verb = rng.randrange(8)
        try:
            if verb < 2:
                holder = f"h{step}"
                end = rng.choice(
                    [None, moment.date() + timedelta(days=rng.randrange(4))]
                )
                pool.assign(moment, holder, end=end)
                holders.append(holder)
            elif verb == 2 and holders:
                pool.release(moment, holders.pop(rng.randrange(len(holders))))
            elif verb == 3 and holders:
                end = rng.choice(
                    [None, moment.date() - timedelta(days=1), D1 + timedelta(days=10)]
                )
                pool.end_date(moment, rng.choice(holders), end)
            elif verb == 4:
                expires = moment + timedelta(hours=rng.choice([2, 30, 80]))
                pool.reserve(moment, f"i{step}", expires)
                invitations.append(f"i{step}")
            elif verb == 5 and invitations:
                pool.unreserve(moment, invitations.pop(0))
            elif verb == 6 and rng.random() < 0.3 and pool.pool.contracted:
                pool.allocate(moment, rng.randrange(3))
            else:
                pool.set_limit(moment, rng.randrange(4, 12))
        except DomainError:
            pool.pool.collect_events()  # refused: nothing was recorded
    return pool
