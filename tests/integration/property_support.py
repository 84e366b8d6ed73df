"""Helpers of the Ledger state machine (test_properties.py): a fake clock and
a mirror of every aggregate in the store."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.persistence import Notification

from infra.ledger import Ledger

A = TypeVar("A")


class FakeClock:
    """The ledger's clock (`ledger.clock = clock.now`), moved by the test."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current


class StoreView:
    """Every aggregate in the store, as the ledger's repository loads it.

    Kept up to date from the notification log: after a command only the
    aggregates it recorded events for are loaded again, which keeps the
    checks after every step cheap on PostgreSQL. The copies are the
    repository's (deep copies), never the ledger's own objects.
    """

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.position = 0
        self.aggregates: dict[UUID, Any] = {}

    def refresh(self) -> list[Notification]:
        """Loads what changed since the last refresh; returns the new events."""
        new: list[Notification] = []
        while True:
            batch = self.ledger.recorder.select_notifications(self.position + 1, 500)
            if not batch:
                break
            new += batch
            self.position = batch[-1].id
        for aggregate_id in {n.originator_id for n in new}:
            self.aggregates[aggregate_id] = self.ledger.repository.get(aggregate_id)
        return new

    def get(self, cls: type[A], aggregate_id: UUID) -> A | None:
        found = self.aggregates.get(aggregate_id)
        if found is None:
            return None
        assert isinstance(found, cls), (cls, type(found))
        return found

    def load(self, cls: type[A], aggregate_id: UUID) -> A:
        found = self.get(cls, aggregate_id)
        assert found is not None, (cls, aggregate_id)
        return found

    def digest(self) -> dict[UUID, tuple[int, dict[str, Any]]]:
        """Each aggregate's version and public state, for comparisons."""
        return {
            aggregate_id: (
                aggregate.version,
                {k: v for k, v in vars(aggregate).items() if not k.startswith("_")},
            )
            for aggregate_id, aggregate in self.aggregates.items()
        }
