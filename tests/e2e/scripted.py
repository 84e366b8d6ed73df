"""A scripted history: seat pools whose events happened on the days a test
says. The service stamps events with the real time, so a month of
assignments cannot be made over HTTP in a test's minute; instead the test
writes the pool's events into the store itself, stamped with its moments,
exactly as the bus would have saved them (metadata, hash chain), and reads
the reports over HTTP from a real server on that store."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID, uuid4

from application.ports import Change, Commit, Meta
from domain.seat_pool import SeatPool
from infra.bootstrap import Container


def at(day: str, hour: int = 12, minute: int = 0) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(hour, minute), UTC)


class ScriptedPool:
    """Each verb saves its events at once, stamped with the moment given."""

    def __init__(
        self, c: Container, tenant: UUID, slug: str, moment: datetime, limit: int
    ) -> None:
        self.c = c
        self.tenant = tenant
        self.pool = SeatPool.open(tenant, slug, limit)
        self._save(moment)

    def assign(self, moment: datetime, holder: str, end: str | None = None) -> None:
        self.pool.assign(holder, moment, end)
        self._save(moment)

    def release(self, moment: datetime, holder: str) -> None:
        self.pool.release(holder, moment)
        self._save(moment)

    def end_date(self, moment: datetime, holder: str, end: str | None) -> None:
        self.pool.change_end_date(holder, end, moment)
        self._save(moment)

    def set_limit(self, moment: datetime, limit: int) -> None:
        self.pool.set_limit(limit, None, moment)
        self._save(moment)

    def _save(self, moment: datetime) -> None:
        events: list[Any] = [
            replace(e, timestamp=moment + timedelta(microseconds=i))
            for i, e in enumerate(self.pool.collect_events())
        ]
        meta = Meta("key:script", str(uuid4()))
        change = Change(events, meta, {self.pool.id: self.tenant})
        self.c.store.append(Commit(changes=[change]))
