"""What the application needs from the event store, as small interfaces.

infra/eventstore implements them over eventsourcing's recorders (PostgreSQL or
SQLite); the composition root wires them in. Relay, follower, audit, replay
and export depend only on `EventLog`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Notification

from application.receipts import Receipt
from projections.envelope import Envelope
from projections.sql import Tx


@dataclass(frozen=True)
class Meta:
    """Who and why, stored with every event of one command."""

    actor: str
    correlation_id: str
    causation_id: str | None = None


@dataclass
class Change:
    """One command's effects: its events in the order they happened (each
    aggregate's events in version order), the tenant owning each aggregate,
    and its receipt (the answer kept for a repeat of the command)."""

    events: list[Any]
    meta: Meta
    owners: dict[UUID, UUID | None]
    receipt: Receipt | None = None
    position: int = 0  # set by the save: its last event's, or the head


@dataclass
class Commit:
    """A batch of changes saved in one transaction. `reads` holds every
    aggregate the batch's decisions read, at the version they saw (0: it did
    not exist): the save is refused when any of them moved meanwhile, so a
    decision never stands on state another process changed."""

    changes: list[Change] = field(default_factory=list)
    reads: dict[UUID, int] = field(default_factory=dict)


class StaleState(Exception):
    """Another writer changed what the batch read (or recorded one of its
    receipts) first; nothing of the batch was saved. `ids`: the aggregates to
    load again (all the batch read, when the store cannot tell)."""

    def __init__(self, ids: set[UUID]) -> None:
        super().__init__(f"{len(ids)} aggregate(s) changed meanwhile")
        self.ids = ids


class Held(Protocol):
    """A save inside a transaction that already holds the store's write lock
    (raises StaleState only for aggregates cached stale before it)."""

    def append(self, commit: Commit) -> int: ...


class AggregateStore(Protocol):
    """The write side, for the command bus."""

    def exclusive(self) -> AbstractContextManager[Held]:
        """The store's write lock, held while the caller decides and saves:
        no other writer commits meanwhile (for a batch that lost a race)."""

    def load(self, aggregate_id: UUID) -> tuple[Aggregate, int] | None:
        """The aggregate as stored now and the version of the snapshot it was
        built from (0: none); None when it does not exist."""

    def append(self, commit: Commit) -> int:
        """Saves the commit atomically, sets each change's position (its last
        event's, or the head for a change without events) and returns the
        head. Raises StaleState, and nothing is saved."""

    def snapshot(self, aggregate: Aggregate) -> None: ...

    def head(self) -> int: ...


class AggregateReader(Protocol):
    """The read side: strongly consistent state, and state at an instant."""

    def get(self, aggregate_id: UUID) -> Aggregate | None: ...

    def get_at_version(self, aggregate_id: UUID, version: int) -> Aggregate | None: ...

    def at(self, aggregate_id: UUID, moment: datetime) -> Aggregate | None: ...

    def history(self, aggregate_id: UUID) -> Iterator[Any]: ...

    def position_of(self, aggregate_id: UUID, version: int) -> int: ...

    def head(self) -> int: ...


class EventLog(Protocol):
    """The store's log in position (commit) order."""

    def after(self, position: int, limit: int) -> list[Envelope]: ...

    def page(self, after: int, limit: int) -> Sequence[Notification]: ...

    def read(
        self, after: int = 0, stop: int | None = None, size: int = 1000
    ) -> Iterator[Sequence[Notification]]: ...

    def envelope(self, notification: Notification) -> Envelope: ...

    def head(self) -> int: ...


class ProjectionStore(Protocol):
    """The projections' database: a read (or a transaction) that runs SQL."""

    def read(self) -> AbstractContextManager[Tx]: ...

    def transaction(self) -> AbstractContextManager[Tx]: ...
