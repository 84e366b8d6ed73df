"""`seatledger send-webhooks` (and, in embedded mode, a part of `serve`):
the matcher follows the store's log in this thread, the dispatcher sends in
its own (an asyncio loop); they meet in the deliveries table."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import structlog

from application.ports import EventLog
from consumers.webhooks.dispatch import Dispatcher, Policy
from consumers.webhooks.matching import PENDING, Matcher
from infra.db import Database
from infra.metrics import Metrics
from infra.sealing import Sealer
from infra.waiting import POSTGRES, Health, Retrying

log = structlog.get_logger(__name__)
METRICS_EVERY_S = 2.0


class WebhookSender:
    def __init__(
        self,
        log: EventLog,
        db: Database,
        sealer: Sealer,
        policy: Policy,
        metrics: Metrics,
        poll_s: float = 0.02,
        batch: int = 500,
    ) -> None:
        self.log = log
        self.db = db
        self.metrics = metrics
        self.poll_s = poll_s
        self.matcher = Matcher(log, db, batch)
        self.dispatcher = Dispatcher(db, log, sealer, policy, metrics)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._measured = 0.0
        # Set by `serve --workers`: waits until this process may send (one
        # sender per server); False when stopped meanwhile.
        self.exclusive: Callable[[threading.Event], bool] | None = None

    def run(self, health: Health | None = None) -> None:
        """Until stopped: matches here, sends in a thread of its own."""
        if self.exclusive is not None and not self.exclusive(self._stop):
            return
        sending = threading.Thread(
            target=self.dispatcher.run, args=(self._stop,), name="webhook-sends"
        )
        sending.start()
        try:
            self._match(Retrying(health or Health(), self._stop))
        finally:
            self._stop.set()
            sending.join(timeout=30)

    def _match(self, retrying: Retrying) -> None:
        stores = (POSTGRES,) if self.db.dialect == "postgres" else ()
        while not self._stop.is_set():
            try:
                read, made = self.matcher.step(time.time())
                self._measure()
            except Exception as exc:
                # Nothing of the failed batch was committed (rows and position
                # go together): it is matched again once the store answers.
                retrying.failed(exc, "webhook matching")
                continue
            retrying.succeeded(*stores)
            if made:
                self.dispatcher.notify(made)
            if read < self.matcher.batch:
                self._stop.wait(self.poll_s)

    def _measure(self) -> None:
        now = time.monotonic()
        if now - self._measured < METRICS_EVERY_S:
            return
        self._measured = now
        head, matched = self.log.head(), self.matcher.position()
        with self.db.read() as tx:
            behind = tx.execute(
                "SELECT t.endpoint_id, MIN(d.position) FROM webhook_targets t"
                " LEFT JOIN webhook_deliveries d ON d.endpoint_id = t.endpoint_id"
                " AND d.status = ? GROUP BY t.endpoint_id",
                (PENDING,),
            )
            oldest = tx.execute(
                "SELECT MIN(created_at) FROM webhook_deliveries WHERE status = ?",
                (PENDING,),
            )[0][0]
        self.metrics.webhook_endpoint_lag.clear()
        for endpoint_id, first in behind:
            reached = matched if first is None else int(first) - 1
            self.metrics.webhook_endpoint_lag.labels(endpoint_id).set(head - reached)
        age = time.time() - float(oldest) if oldest is not None else 0.0
        self.metrics.webhook_oldest_pending.set(max(age, 0.0))

    def start(self, health: Health | None = None) -> None:
        thread = threading.Thread(
            target=self.run, args=(health,), name="webhook-sender", daemon=True
        )
        thread.start()
        self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)
