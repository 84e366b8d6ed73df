"""Plumbing every use case shares: load, save atomically, retry conflicts.

Every use case saves all the aggregates it touched in one atomic `save(...)`,
with optimistic concurrency on each; a conflict is retried a bounded number of
times with fresh state, then surfaces as `concurrency_conflict`.
"""

from __future__ import annotations

import functools
import json
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar, ParamSpec, TypeVar
from uuid import UUID

from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    ProcessingEvent,
)
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, Mapper, Notification, Recording

from domain.checkpoint import AuditTrail
from domain.errors import ConcurrencyConflict, NotFound
from domain.receipt import CommandReceipt, receipt_id
from domain.seat_pool import SeatPool
from domain.tenant import Tenant
from infra.chain import GENESIS, HashChain, event_hash, split_hash
from infra.events import (
    CommandContext,
    EnvelopeMapper,
    done_saving,
    saving,
    to_envelope,
)
from projections.envelope import Envelope

LOCK_STRIPES = 64
P = ParamSpec("P")
R = TypeVar("R")
A = TypeVar("A", bound=Aggregate)


@dataclass(frozen=True)
class Outcome:
    """What a use case returns: the aggregate the caller asked about and the
    position of the last event recorded (the current head when nothing was)."""

    aggregate: Any
    position: int
    changed: bool = True


class CommandAlreadyApplied(Exception):
    """A command with this id took effect before (its receipt exists)."""

    def __init__(self, position: int) -> None:
        super().__init__(f"command already applied at position {position}")
        self.position = position


def retrying(method: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        ledger: LedgerBase = args[0]  # type: ignore[assignment]
        ctx = args[1]
        with ledger.serialised(args[2] if len(args) > 2 else None):
            return _attempts(ledger, ctx, method, args, kwargs)

    return wrapper


def _attempts(
    ledger: LedgerBase, ctx: object, method: Callable[..., R], args: Any, kwargs: Any
) -> R:
    for attempt in range(ledger.retry_attempts):
        if isinstance(ctx, CommandContext) and ctx.command_id is not None:
            ledger.check_not_applied(ctx.command_id)
        try:
            return method(*args, **kwargs)
        except IntegrityError:
            # Another writer saved one of our aggregates first; nothing of
            # ours was recorded, so deciding again on fresh state is safe.
            # Exponential backoff with full jitter spreads the racers out.
            time.sleep(random.uniform(0, min(0.1, 0.002 * 2**attempt)))
    raise ConcurrencyConflict(
        "the command kept conflicting with concurrent changes; try again",
        attempts=ledger.retry_attempts,
    )


def utc_now() -> datetime:
    return datetime.now(UTC)


class LedgerBase(Application[UUID]):
    name = "seatledger"
    # A command loads at most the last 50 events of an aggregate on top of a
    # snapshot, so its cost does not grow with the aggregate's history.
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {
        SeatPool: 50,
        Tenant: 50,
        AuditTrail: 50,
    }

    def __init__(
        self,
        env: dict[str, str] | None = None,
        retry_attempts: int = 10,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.retry_attempts = retry_attempts
        # "Today" and expiries are judged when a command runs; tests pass a
        # clock of their own.
        self.clock = clock
        self._stripes = [threading.RLock() for _ in range(LOCK_STRIPES)]
        super().__init__(env)

    def construct_mapper(self) -> Mapper[UUID]:
        mapper = self.factory.mapper(
            transcoder=self.construct_transcoder(), mapper_class=EnvelopeMapper
        )
        assert isinstance(mapper, EnvelopeMapper)
        mapper.chain = HashChain(self.stored_hash)
        return mapper

    def stored_hash(self, aggregate_id: UUID, version: int) -> str | None:
        """The hash of a stored event, for chaining the next one to it (None
        when there is no such event)."""
        found = self.recorder.select_events(
            aggregate_id, gt=version - 1, lte=version, limit=1
        )
        if not found:
            return None
        recorded = split_hash(json.loads(found[0].state))
        if recorded is not None:
            return recorded
        # Recorded before events carried hashes: what it would have hashed to,
        # folded from the aggregate's first event (a loop, not a recursion:
        # such histories can be long).
        previous = GENESIS
        for stored in self.recorder.select_events(aggregate_id, lte=version):
            state = json.loads(stored.state)
            previous = split_hash(state) or event_hash(
                previous, aggregate_id, stored.originator_version, stored.topic, state
            )
        return previous

    def _record(self, processing_event: ProcessingEvent[UUID]) -> list[Recording[UUID]]:
        # Hashes of this save join the shared chain cache only once stored.
        chain = getattr(self.mapper, "chain", None)
        if chain is None:  # a mapper without a chain (tests of old stores)
            return super()._record(processing_event)
        chain.begin()
        recordings = super()._record(processing_event)
        chain.committed()
        return recordings

    @contextmanager
    def serialised(self, command: object) -> Iterator[None]:
        """Commands on one tenant take turns inside this process, so threads
        of one API process queue instead of colliding on the store's version
        check; optimistic concurrency still guards against other processes."""
        tenant = getattr(command, "tenant_id", None)
        if tenant is None:
            yield
            return
        # Seat commands name their pool: different pools need not wait.
        key = (tenant, getattr(command, "pool", None))
        with self._stripes[hash(key) % LOCK_STRIPES]:
            yield

    def envelopes_after(self, position: int, limit: int) -> list[Envelope]:
        """The next events of the store's log, in commit order, as envelopes
        (what the embedded projector applies and the relay publishes)."""
        transcoder = self.mapper.transcoder
        notifications = self.recorder.select_notifications(position + 1, limit)
        return [to_envelope(n, transcoder) for n in notifications]

    def read_log(
        self, after: int = 0, stop: int | None = None, size: int = 1000
    ) -> Iterator[Sequence[Notification]]:
        """The store's log in (after, stop], in position order, `size` rows at
        a time: never all of it in memory (verify, checkpoints, replay,
        export stream it)."""
        while stop is None or after < stop:
            found = self.recorder.select_notifications(after + 1, size, stop=stop)
            if not found:
                return
            yield found
            after = found[-1].id

    def head(self) -> int:
        return self.recorder.max_notification_id() or 0

    def position_of(self, aggregate: Aggregate) -> int:
        """The global position of the aggregate's latest event."""
        recorder: Any = self.recorder
        table = recorder.events_table_name
        with recorder.datastore.transaction(commit=False) as cursor:
            if self.factory.__class__.__module__.startswith("eventsourcing.sqlite"):
                cursor.execute(
                    f"SELECT rowid FROM {table} WHERE originator_id = ?"
                    " AND originator_version = ?",
                    (aggregate.id.hex, aggregate.version),
                )
            else:
                cursor.execute(
                    f"SELECT notification_id FROM {recorder.datastore.schema}.{table}"
                    " WHERE originator_id = %s AND originator_version = %s",
                    (aggregate.id, aggregate.version),
                )
            row = cursor.fetchone()
        if row is None:
            return 0
        return int(row["notification_id"] if isinstance(row, dict) else row[0])

    def _load(self, cls: type[A], aggregate_id: UUID, what: str) -> A:
        found = self._find(cls, aggregate_id)
        if found is None:
            raise NotFound(f"{what} not found")
        return found

    def find(self, cls: type[A], aggregate_id: UUID) -> A | None:
        return self._find(cls, aggregate_id)

    def record(self, ctx: CommandContext, *aggregates: Aggregate) -> int:
        """Saves what the aggregates have pending in one atomic save; the
        position of the last event recorded."""
        return self._commit(ctx, *aggregates)[0]

    def _find(self, cls: type[A], aggregate_id: UUID) -> A | None:
        try:
            aggregate: Any = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        return aggregate if isinstance(aggregate, cls) else None

    def at(self, cls: type[A], aggregate_id: UUID, moment: datetime, what: str) -> A:
        """The aggregate as it was at `moment`, rebuilt from its events (no
        snapshot: an auditor's read must not depend on one)."""
        aggregate: Any = None
        for domain_event in self.events.get(aggregate_id):
            if getattr(domain_event, "timestamp", moment) > moment:
                break
            aggregate = domain_event.mutate(aggregate)  # type: ignore[attr-defined]
        if not isinstance(aggregate, cls):
            raise NotFound(f"{what} not found at {moment.isoformat()}")
        return aggregate

    def tenant(self, tenant_id: UUID) -> Tenant:
        return self._load(Tenant, tenant_id, "tenant")

    def lineage(self, tenant_id: UUID) -> list[UUID]:
        """The tenant and its ancestors, nearest first; [] when unknown."""
        chain: list[UUID] = []
        current: UUID | None = tenant_id
        while current is not None and current not in chain:
            tenant = self._find(Tenant, current)
            if tenant is None:
                return chain if chain else []
            chain.append(current)
            current = tenant.parent_id
        return chain

    def check_not_applied(self, command_id: UUID) -> None:
        receipt = self._find(CommandReceipt, receipt_id(command_id))
        if receipt is not None:
            raise CommandAlreadyApplied(self.position_of(receipt))

    def _commit(
        self, ctx: CommandContext, *aggregates: Aggregate | None
    ) -> tuple[int, bool]:
        present: list[Aggregate] = []
        for a in aggregates:
            if a is not None and all(a.id != p.id for p in present):
                present.append(a)
        changes = any(a.pending_events for a in present)
        if changes and ctx.command_id is not None:
            # A no-op needs no receipt: running it again changes nothing.
            present.append(
                CommandReceipt(
                    command_id=ctx.command_id,
                    command_type=ctx.command_type,
                    tenant_id=_owner(present[0]),
                )
            )
        tenants = {a.id: _owner(a) for a in present}
        token = saving(ctx, tenants)
        try:
            recordings = self.save(*present)
        finally:
            done_saving(token)
        if not recordings:
            return self.head(), False
        return max(r.notification.id for r in recordings), True

    def _outcome(
        self, ctx: CommandContext, result: Aggregate, *others: Aggregate | None
    ) -> Outcome:
        position, changed = self._commit(ctx, result, *others)
        return Outcome(result, position, changed)


def _owner(aggregate: Aggregate) -> UUID | None:
    if isinstance(aggregate, Tenant):
        return aggregate.id
    tenant_id = getattr(aggregate, "tenant_id", None)
    return tenant_id if isinstance(tenant_id, UUID) else None
