"""A replay's run: the shadow filled batch by batch, the live tables brought
up to the store when only some projections are rebuilt, and the one locked
transaction that swaps the shadow in (steps 1-4 of the package docstring)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field

import psycopg
import structlog
from rich.progress import Progress, TaskID

from consumers.log_follower import SOURCE
from consumers.projector import kafka_watermark
from infra.bootstrap import Container
from infra.eventstore import Log
from infra.replay.shadow import Shadow
from infra.replay.source import batches, tables_of
from infra.replay.tracking import TRACKING, apply_to_shadow
from projections.registry import (
    PROJECTIONS,
    Projection,
    advance_checkpoint,
    apply_batch,
    checkpoint,
)
from projections.sql import Tx

log = structlog.get_logger(__name__)

SWAP_ATTEMPTS = 3


@dataclass
class _Run:
    container: Container
    shadow: Shadow
    projections: tuple[Projection, ...]
    size: int
    progress: Progress
    on_batch: Callable[[int], None] | None
    task: TaskID = field(init=False)
    reached: int = 0  # the shadow holds every event at or below this
    counted: int = 0
    total: int = 0
    events: int = 0

    def __post_init__(self) -> None:
        self.task = self.progress.add_task("replay", total=None)

    @property
    def log(self) -> Log:
        return self.container.log

    def shadow_to(self, stop: int) -> None:
        if stop > self.counted:
            self.total += self.log.count(self.counted, stop)
            self.counted = stop
            self.progress.update(self.task, total=self.total)
        for envelopes in batches(self.log, self.reached, stop, self.size):
            with self.shadow.transaction() as tx:
                apply_to_shadow(tx, envelopes, self.projections)
            self.events += len(envelopes)
            self.progress.advance(self.task, len(envelopes))
            if self.on_batch is not None:
                self.on_batch(self.events)
        self.reached = max(self.reached, stop)

    def live_step(self, tx: Tx, stop: int) -> int:
        """Applies the live tables' next batch, as the follower would."""
        topic = self.container.topics.events
        after = max(checkpoint(tx, SOURCE), kafka_watermark(tx, topic))
        for envelopes in batches(self.log, after, stop, self.size):
            apply_batch(tx, envelopes, SOURCE, envelopes[-1].position)
            return len(envelopes)
        return 0

    def catch_up_live(self, stop: int) -> int:
        applied = 0
        while True:
            with self.container.db.transaction() as tx:
                # Taken first, so a projector's transaction waits for ours
                # instead of deadlocking with it over tenant rows.
                self.shadow.lock_live(tx, TRACKING[:1])
                done = self.live_step(tx, stop)
            if not done:
                return applied
            applied += done

    def swap(self) -> int:
        """One transaction: block writers, catch up to the head, swap."""
        rebuilt = tables_of(self.projections)
        with self.container.db.transaction() as tx:
            self.shadow.lock_live(tx, [*TRACKING, *tables_of(PROJECTIONS)])
            head = self.log.head()
            if len(self.projections) < len(PROJECTIONS):
                while self.live_step(tx, head):
                    pass
            self.shadow_to(head)
            for table in rebuilt:
                self.shadow.copy_into(tx, table)
            self.shadow.positions_into(tx)
            advance_checkpoint(tx, SOURCE, head)
        return head


def _busy(exc: Exception) -> bool:
    if isinstance(exc, sqlite3.OperationalError):
        return "locked" in str(exc) or "busy" in str(exc)
    return isinstance(
        exc, psycopg.errors.LockNotAvailable | psycopg.errors.DeadlockDetected
    )


def _swap(run: _Run) -> int:
    for attempt in range(1, SWAP_ATTEMPTS + 1):
        try:
            return run.swap()
        except (sqlite3.OperationalError, psycopg.Error) as exc:
            # Nothing live changed; the shadow keeps what it applied.
            if not _busy(exc) or attempt == SWAP_ATTEMPTS:
                raise
            log.warning("replay swap waited too long; again", attempt=attempt)
    raise AssertionError("unreachable")
