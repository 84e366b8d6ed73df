"""One batch of commands, decided one after another on current state.

Each command runs in a Session over the batch's aggregates. A command that
succeeds hands its events to the batch (saved later, together); a command
that is refused, or only asked about (dry run), leaves nothing behind: every
aggregate it changed is rebuilt as the batch had it before the command.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from application.cache import AggregateCache
from application.decision import Decided
from application.jobs import Job
from application.ports import AggregateStore, Change, Commit, Meta, StaleState
from application.session import Session
from application.views import View, view_of


@dataclass
class Decision:
    """A command decided in this batch, before the batch is saved."""

    view: View | None
    decided: Decided
    change: Change | None  # None: a dry run
    would_change: bool = False  # a dry run's command would record events


def owner(aggregate: Aggregate) -> UUID | None:
    """The tenant an aggregate's events belong to."""
    if type(aggregate).__name__ == "Tenant":
        return aggregate.id
    tenant_id = getattr(aggregate, "tenant_id", None)
    return tenant_id if isinstance(tenant_id, UUID) else None


class Batch:
    def __init__(self, store: AggregateStore, cache: AggregateCache) -> None:
        self.store = store
        self.cache = cache
        self.live: dict[UUID, Aggregate] = {}
        self.reads: dict[UUID, int] = {}  # version first seen (0: absent)
        self.saved: dict[UUID, list[Any]] = {}  # events of decided commands
        self.commit = Commit(reads=self.reads)

    def find(self, aggregate_id: UUID) -> Aggregate | None:
        found = self.live.get(aggregate_id)
        if found is not None or aggregate_id in self.reads:
            return found
        cached = self.cache.get(aggregate_id)
        if cached is None:
            loaded = self.store.load(aggregate_id)
            if loaded is None:
                self.reads[aggregate_id] = 0
                return None
            self.cache.put(*loaded)
            found = loaded[0]
        else:
            found = cached.aggregate
        self.live[aggregate_id] = found
        self.reads[aggregate_id] = found.version
        return found

    def decide(self, job: Job, s: Session) -> Decision:
        """Runs the job's handler; raises its refusal with nothing changed."""
        try:
            job.entry.authorize(job.command, s)
            decided = job.entry.handler(job.command, s)
            touched = decided.aggregates(*s.also)
            _check_all_returned(s, touched)
            by_id = {a.id: a for a in touched}
            view = view_of(decided.result, s.now, lambda i, _v: by_id[i])
        except BaseException:
            self.undo(s)
            raise
        if job.dry_run:
            would_change = any(a.pending_events for a in touched)
            self.undo(s)
            return Decision(view, decided, None, would_change)
        return Decision(view, decided, self._keep(job, touched))

    def _keep(self, job: Job, touched: list[Aggregate]) -> Change:
        events: list[Any] = []
        owners: dict[UUID, UUID | None] = {}
        for aggregate in touched:
            pending = aggregate.collect_events()
            if not pending:
                continue
            events.extend(pending)
            owners[aggregate.id] = owner(aggregate)
            self.saved.setdefault(aggregate.id, []).extend(pending)
            self.live[aggregate.id] = aggregate  # a new one joins the batch
        change = Change(
            events, Meta(job.actor, job.correlation_id, job.causation_id), owners
        )
        self.commit.changes.append(change)
        return change

    def undo(self, s: Session) -> None:
        """Rebuilds every aggregate the session changed as the batch had it:
        as stored, plus the events of the batch's earlier commands. New
        aggregates the session made are simply never saved."""
        for aggregate_id, aggregate in s.seen.items():
            if aggregate.pending_events:
                self.live[aggregate_id] = self._rebuilt(aggregate_id)

    def _rebuilt(self, aggregate_id: UUID) -> Aggregate:
        loaded = self.store.load(aggregate_id)
        if loaded is None or loaded[0].version != self.reads.get(aggregate_id):
            # Moved on in the store meanwhile: the whole batch is decided again.
            raise StaleState({aggregate_id})
        aggregate = loaded[0]
        for event in self.saved.get(aggregate_id, []):
            aggregate = event.mutate(aggregate)
        self.cache.put(aggregate, loaded[1])
        return aggregate

    def changed_ids(self) -> set[UUID]:
        """Aggregates this batch moved ahead of the store (in memory only
        until the batch is saved)."""
        return set(self.saved)


def _check_all_returned(s: Session, touched: list[Aggregate]) -> None:
    returned = {a.id for a in touched}
    for aggregate_id, aggregate in s.seen.items():
        if aggregate.pending_events and aggregate_id not in returned:
            # A handler that changed an aggregate and did not return it would
            # lose those events: a bug, refused loudly, with nothing saved.
            raise AssertionError(
                f"{type(aggregate).__name__} {aggregate_id} was changed but not saved"
            )
