"""An event store in memory, for fast tests of the command bus: the ports of
application/ports.py over plain lists (the real ones, over PostgreSQL and
SQLite, are tested in tests/integration). It keeps the events themselves, so
a load rebuilds an aggregate by replaying them, as the real store does."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from application.ports import Commit, StaleState
from application.receipts import Receipt


class MemoryStore:
    def __init__(self) -> None:
        self.events: dict[UUID, list[Any]] = {}
        self.log: list[tuple[int, Any, dict[str, Any]]] = []
        self.receipts: dict[UUID, Receipt] = {}
        self.appends = 0  # transactions, to see group commit
        self.snapshots: dict[UUID, int] = {}
        self._lock = threading.RLock()
        self._held = False

    # AggregateStore
    def load(self, aggregate_id: UUID) -> tuple[Aggregate, int] | None:
        aggregate: Any = None
        for event in self.events.get(aggregate_id, []):
            aggregate = event.mutate(aggregate)
        return (aggregate, 0) if aggregate is not None else None

    def append(self, commit: Commit) -> int:
        with self._lock if not self._held else contextlib.nullcontext():
            moved = {
                i
                for i, version in commit.reads.items()
                if len(self.events.get(i, [])) != version
            }
            if moved:
                raise StaleState(moved)
            if any(
                c.receipt and c.receipt.receipt_id in self.receipts
                for c in commit.changes
            ):
                raise StaleState(set(commit.reads))
            self.appends += 1
            for change in commit.changes:
                for event in change.events:
                    self.events.setdefault(event.originator_id, []).append(event)
                    meta = {
                        "actor": change.meta.actor,
                        "tenant": change.owners.get(event.originator_id),
                    }
                    self.log.append((len(self.log) + 1, event, meta))
                change.position = len(self.log)
                if change.receipt is not None:
                    change.receipt.position = change.position
                    self.receipts[change.receipt.receipt_id] = change.receipt
            return len(self.log)

    @contextmanager
    def exclusive(self) -> Iterator[MemoryStore]:
        """The write lock held while the caller decides: saves through the
        held handle (this store) check and append under it."""
        with self._lock:
            self._held = True
            try:
                yield self
            finally:
                self._held = False

    def snapshot(self, aggregate: Aggregate) -> None:
        self.snapshots[aggregate.id] = aggregate.version

    def head(self) -> int:
        return len(self.log)

    # AggregateReader
    def get(self, aggregate_id: UUID) -> Aggregate | None:
        loaded = self.load(aggregate_id)
        return loaded[0] if loaded else None

    def get_at_version(self, aggregate_id: UUID, version: int) -> Aggregate | None:
        aggregate: Any = None
        for event in self.events.get(aggregate_id, [])[:version]:
            aggregate = event.mutate(aggregate)
        return aggregate

    def at(self, aggregate_id: UUID, moment: datetime) -> Aggregate | None:
        aggregate: Any = None
        for event in self.events.get(aggregate_id, []):
            if event.timestamp > moment:
                break
            aggregate = event.mutate(aggregate)
        return aggregate

    def history(self, aggregate_id: UUID) -> Iterator[Any]:
        return iter(self.events.get(aggregate_id, []))

    def position_of(self, aggregate_id: UUID, version: int) -> int:
        for position, event, _ in self.log:
            if (
                event.originator_id == aggregate_id
                and event.originator_version == version
            ):
                return position
        return 0

    # ReceiptBook
    def lookup(self, ids: list[UUID]) -> dict[UUID, Receipt]:
        return {i: self.receipts[i] for i in ids if i in self.receipts}

    # A writer in another process, for the freshness check.
    def foreign_append(self, event: Any) -> None:
        with self._lock:
            self.events.setdefault(event.originator_id, []).append(event)
            self.log.append((len(self.log) + 1, event, {"actor": "elsewhere"}))
