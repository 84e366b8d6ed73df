"""Aggregates in and out of the store: the bus's loads and batched saves, and
the reads (current state, a past version, state at an instant)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Repository
from eventsourcing.domain import Aggregate, Snapshot

from application.ports import Commit
from application.receipts import Receipt
from infra.eventstore.appender import Appender, Held, appender_for
from infra.eventstore.persistence import Persistence
from infra.receipts import receipt_of


class Store:
    def __init__(self, persistence: Persistence, read_cache: int = 1000) -> None:
        self.p = persistence
        # Reads come from any thread: a cached aggregate is brought up to
        # date (one query) and copied, so a reader never sees it move.
        self._reads: Repository[UUID] = Repository(
            event_store=persistence.events,
            snapshot_store=persistence.snapshots,
            cache_maxsize=read_cache or None,
            fastforward=True,
            deepcopy_from_cache=True,
        )
        self._appender: Appender = appender_for(persistence)

    # -- the write side (the command bus) ---------------------------------

    def load(self, aggregate_id: UUID) -> tuple[Aggregate, int] | None:
        aggregate: Any = None
        snapshot_version = 0
        snapshots: Any = self.p.snapshots.get(aggregate_id, desc=True, limit=1)
        for snapshot in snapshots:
            aggregate = snapshot.mutate(None)
            snapshot_version = snapshot.originator_version
        events: Any = self.p.events.get(aggregate_id, gt=snapshot_version or None)
        for event in events:
            aggregate = event.mutate(aggregate)
        if aggregate is None:
            return None
        return aggregate, snapshot_version

    def append(self, commit: Commit) -> int:
        return self._appender.append(commit)

    def exclusive(self) -> AbstractContextManager[Held]:
        return self._appender.exclusive()

    def snapshot(self, aggregate: Aggregate) -> None:
        snapshot_class = getattr(type(aggregate), "Snapshot", Snapshot)
        self.p.snapshots.put([snapshot_class.take(aggregate)])

    def head(self) -> int:
        return self.p.recorder.max_notification_id() or 0

    def lookup(self, ids: list[UUID]) -> dict[UUID, Receipt]:
        """The receipts of these ids that exist (read through the store's own
        connections: one outage, one timeout)."""
        found = [receipt_of(row) for row in self._appender.receipts(ids)]
        return {r.receipt_id: r for r in found}

    # -- the read side ----------------------------------------------------

    def get(self, aggregate_id: UUID) -> Aggregate | None:
        try:
            found: Aggregate = self._reads.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        return found

    def get_at_version(self, aggregate_id: UUID, version: int) -> Aggregate | None:
        try:
            found: Aggregate = self._reads.get(aggregate_id, version=version)
        except AggregateNotFoundError:
            return None
        return found

    def at(self, aggregate_id: UUID, moment: datetime) -> Aggregate | None:
        """As it was at `moment`, rebuilt from its events (no snapshot: an
        auditor's read must not depend on one)."""
        aggregate: Any = None
        history: Any = self.p.events.get(aggregate_id)
        for event in history:
            if getattr(event, "timestamp", moment) > moment:
                break
            aggregate = event.mutate(aggregate)
        return aggregate if isinstance(aggregate, Aggregate) else None

    def history(self, aggregate_id: UUID) -> Iterator[Any]:
        return iter(self.p.events.get(aggregate_id))

    def position_of(self, aggregate_id: UUID, version: int) -> int:
        """The global position of one stored event (0 when there is none)."""
        return self._appender.position_of(aggregate_id, version)
