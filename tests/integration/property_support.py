"""Helpers of the Ledger state machine (test_properties.py): a fake clock and
a mirror of every aggregate in the store."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.persistence import Notification

from infra.bootstrap import Container

A = TypeVar("A")


class FakeClock:
    """The service's clock (`install` puts it in a container), moved by the
    test."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def install(self, c: Container) -> None:
        """Everywhere the container judges time: the command bus (which takes
        its clock when built), the reads and the container itself."""
        c.bus.committer.clock = self.now
        c.reads.state.clock = self.now
        c.reads.projected.clock = self.now
        c.clock = self.now


class StoreView:
    """Every aggregate in the store, as the store's reads load it.

    Kept up to date from the notification log: after a command only the
    aggregates it recorded events for are loaded again, which keeps the
    checks after every step cheap on PostgreSQL. The copies are the read
    side's (deep copies), never the command bus's own objects.
    """

    def __init__(self, c: Container) -> None:
        self.c = c
        self.position = 0
        self.aggregates: dict[UUID, Any] = {}

    def refresh(self) -> list[Notification]:
        """Loads what changed since the last refresh; returns the new events."""
        new: list[Notification] = []
        while True:
            batch = self.c.log.page(self.position, 500)
            if not batch:
                break
            new += batch
            self.position = batch[-1].id
        for aggregate_id in {n.originator_id for n in new}:
            self.aggregates[aggregate_id] = self.c.store.get(aggregate_id)
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
