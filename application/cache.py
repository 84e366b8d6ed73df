"""The command bus's aggregates, kept in memory between commands.

Only the bus's committer thread touches them, so they are used in place: no
copy per command (a copy of a pool with 20,000 holders cost more than the
command). They are not refreshed from the store before use; instead every
save checks, under the store's lock, that nothing the batch read has moved
(ports.Commit.reads), and a batch that read stale state is decided again.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from eventsourcing.domain import Aggregate


@dataclass
class Cached:
    aggregate: Aggregate
    snapshot_version: int  # the version of the latest snapshot stored (0: none)


class AggregateCache:
    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._entries: OrderedDict[UUID, Cached] = OrderedDict()

    def get(self, aggregate_id: UUID) -> Cached | None:
        found = self._entries.get(aggregate_id)
        if found is not None:
            self._entries.move_to_end(aggregate_id)
        return found

    def put(self, aggregate: Aggregate, snapshot_version: int) -> None:
        if self.size <= 0:
            return
        self._entries[aggregate.id] = Cached(aggregate, snapshot_version)
        self._entries.move_to_end(aggregate.id)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def evict(self, ids: Iterable[UUID]) -> None:
        for aggregate_id in ids:
            self._entries.pop(aggregate_id, None)

    def clear(self) -> None:
        self._entries.clear()
