"""One transaction per batch: check what the batch read, insert its events
and its receipts.

The check runs under the store's write lock (PostgreSQL: the events table's
EXCLUSIVE lock, which every writer takes; SQLite: BEGIN IMMEDIATE), so no
other writer can move an aggregate between the check and the commit: a batch
is saved only if every aggregate it read is still at the version it saw.
Commit order is position order, which is what lets the relay and the
follower tail the log by position without skipping an event.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.persistence import (
    IntegrityError,
    StoredEvent,
)

from application.ports import Commit, StaleState
from infra.eventstore.persistence import Persistence

INSERT_RECEIPT = (
    "INSERT INTO {} (receipt_id, key_id, fingerprint, command_type, status,"
    " decided_at, changed, result_id, result_version, error, position,"
    " recorded_at) VALUES ({})"
)


class Held(Protocol):
    def append(self, commit: Commit) -> int: ...


class Appender(Protocol):
    def append(self, commit: Commit) -> int: ...

    def exclusive(self) -> AbstractContextManager[Held]: ...

    def position_of(self, aggregate_id: UUID, version: int) -> int: ...

    def receipts(self, ids: list[UUID]) -> list[tuple[Any, ...]]: ...


def appender_for(p: Persistence) -> Appender:
    # Imported here: each dialect's module imports this one's helpers.
    if p.dialect == "sqlite":
        from infra.eventstore.sqlite import SqliteAppender

        return SqliteAppender(p)
    from infra.eventstore.postgres import PostgresAppender

    return PostgresAppender(p)


def _mapped(p: Persistence, commit: Commit) -> list[list[StoredEvent]]:
    """Each change's events as stored: its metadata added, hash-chained."""
    out = []
    for change in commit.changes:
        meta = {
            "actor": change.meta.actor,
            "correlation_id": change.meta.correlation_id,
            "causation_id": change.meta.causation_id,
        }
        stored = []
        for event in change.events:
            tenant = change.owners.get(event.originator_id)
            stored.append(
                p.mapper.stored(
                    event, {**meta, "tenant_id": str(tenant) if tenant else None}
                )
            )
        out.append(stored)
    return out


def touched(commit: Commit) -> set[UUID]:
    """What a commit read or wrote: all of it is reloaded when a writer
    recorded one of its events or receipts first."""
    return set(commit.reads) | {
        e.originator_id for c in commit.changes for e in c.events
    }


def hex_id(aggregate_id: UUID | str) -> str:
    return aggregate_id.hex if isinstance(aggregate_id, UUID) else aggregate_id


def moved_since(reads: dict[UUID, int], found: dict[UUID, int]) -> set[UUID]:
    return {i for i, version in reads.items() if found.get(i, 0) != version}


def place(
    commit: Commit, mapped: list[list[StoredEvent]], ids: Sequence[int], head: int
) -> None:
    """Each change's position: its last event's, or the head; receipts too."""
    at = 0
    for change, stored in zip(commit.changes, mapped, strict=True):
        at += len(stored)
        change.position = ids[at - 1] if stored else head
        if change.receipt is not None:
            change.receipt.position = change.position


class Chained:
    """Hashes computed for a batch join the chain's cache only once the batch
    committed; a refused batch leaves none behind."""

    def __init__(self, p: Persistence) -> None:
        self.p = p

    def mapped(self, commit: Commit) -> list[list[StoredEvent]]:
        """The commit's events as stored (a fresh start of the chain's
        pending hashes: a refused batch's are forgotten)."""
        chain = self.p.mapper.chain
        if chain is not None:
            chain.begin()
        return _mapped(self.p, commit)

    def committed(self) -> None:
        chain = self.p.mapper.chain
        if chain is not None:
            chain.committed()

    def append(self, commit: Commit) -> int:
        try:
            head = self._save(commit, self.mapped(commit))
        except IntegrityError as exc:
            raise StaleState(touched(commit)) from exc
        self.committed()
        return head

    def _save(self, commit: Commit, mapped: list[list[StoredEvent]]) -> int:
        raise NotImplementedError
