"""Embedded projector: follows the event store's own log (no Kafka).

Positions are read from the store in commit order (PostgreSQL serialises
writers with a table lock, SQLite has one writer), so following the log by
position never skips an event even though positions may have gaps.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import structlog

from application.ports import EventLog
from infra.db import Database
from infra.waiting import POSTGRES, Health, Retrying
from projections.registry import apply_batch, checkpoint

SOURCE = "store"
log = structlog.get_logger(__name__)


class LogFollower:
    def __init__(
        self, log: EventLog, db: Database, batch: int = 500, poll_s: float = 0.05
    ) -> None:
        self.log = log
        self.db = db
        self.batch = batch
        self.poll_s = poll_s
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        # Set by `serve --workers`: waits until this process may follow
        # (one follower per server); False when stopped meanwhile.
        self.exclusive: Callable[[threading.Event], bool] | None = None

    def position(self) -> int:
        with self.db.read() as tx:
            return checkpoint(tx, SOURCE)

    def step(self) -> int:
        """Applies the next batch; returns how many events it read."""
        envelopes = self.log.after(self.position(), self.batch)
        if not envelopes:
            return 0
        reached = envelopes[-1].position
        with self.db.batch() as tx:
            # Exactly once: rows and positions commit together; a crash before
            # the commit re-reads this batch, after it the batch is skipped.
            applied = apply_batch(tx, envelopes, SOURCE, reached)
        log.debug("projected", position=reached, applied=applied)
        return len(envelopes)

    def catch_up(self) -> None:
        while self.step():
            pass

    def run(self, health: Health | None = None) -> None:
        if self.exclusive is not None and not self.exclusive(self._stop):
            return
        retrying = Retrying(health or Health(), self._stop)
        while not self._stop.is_set():
            try:
                read = self.step()
            except Exception as exc:
                # At-least-once: nothing of the failed batch was committed, so
                # the next step reads it again once the store answers.
                retrying.failed(exc, "projector step")
                continue
            retrying.succeeded(*self._stores)
            if read < self.batch:
                # Caught up: wait for this process's next commit (nudge), or
                # poll for other processes' commits.
                self._wake.wait(self.poll_s)
                self._wake.clear()

    @property
    def _stores(self) -> tuple[str, ...]:
        return (POSTGRES,) if self.db.dialect == "postgres" else ()

    def start(self, health: Health | None = None) -> None:
        self._thread = threading.Thread(
            target=self.run, args=(health,), name="projector", daemon=True
        )
        self._thread.start()

    def nudge(self) -> None:
        """Something was committed: follow it now rather than at the next
        poll (a fixed sleep on a busy path would add up to poll_s to every
        projection's freshness)."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
