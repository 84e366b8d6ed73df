"""The sender's other half: attempts the deliveries that are due.

Every attempt is a coroutine, and each endpoint has at most `concurrency` in
flight, so a receiver that hangs holds only its own slots (each for the
timeout at most) and never delays another endpoint, nor any command (which
never waits for the sender at all). Each attempt's result is written to its
delivery row; a crash before that leaves the row due, so it is sent again
after a restart: at least once, the same `webhook-id` every time.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass

import structlog

from application.ports import EventLog
from consumers.webhooks import signing
from consumers.webhooks.bodies import Bodies, encoded
from consumers.webhooks.http import Answer, post
from consumers.webhooks.matching import FAILED, PENDING, SUCCEEDED
from infra.db import Database
from infra.metrics import Metrics
from infra.sealing import Sealer, Unsealable
from projections.envelope import Envelope

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Due:
    delivery_id: str
    endpoint_id: str
    event_id: str
    position: int
    attempts: int
    url: str
    secrets: list[list[object]]


@dataclass(frozen=True)
class Policy:
    delays: tuple[float, ...]  # before each retry; then failed
    timeout_s: float
    concurrency: int
    allow_private: bool
    poll_s: float = 0.25


class Dispatcher:
    def __init__(
        self,
        db: Database,
        log: EventLog,
        sealer: Sealer,
        policy: Policy,
        metrics: Metrics,
    ) -> None:
        self.db = db
        self.sealer = sealer
        self.policy = policy
        self.metrics = metrics
        self.inflight: dict[str, set[str]] = defaultdict(set)
        # Attempted and recorded, but perhaps read as due by a scan that ran
        # meanwhile: not claimed again until a scan that began after.
        self.settling: set[str] = set()
        # Answered, result not yet written: its slot is free, it is not due.
        self.recording: set[str] = set()
        self.lookups = ThreadPoolExecutor(64, thread_name_prefix="webhook-dns")
        self.bodies = Bodies(log)
        self.tls = ssl.create_default_context()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None

    def notify(self, matched: list[Envelope]) -> None:
        """New deliveries were matched (from the matcher's thread): their
        bodies are made now, so the attempts need not read the log again."""
        for e in matched:
            self.bodies.keep(e.position, encoded(e))
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            with suppress(RuntimeError):  # the loop has just closed
                loop.call_soon_threadsafe(wake.set)

    def run(self, stop: threading.Event) -> None:
        asyncio.run(self._run(stop))

    async def _run(self, stop: threading.Event) -> None:
        self._loop, self._wake = asyncio.get_running_loop(), asyncio.Event()
        # Reads and writes of the delivery rows; lookups have their own.
        self._loop.set_default_executor(
            ThreadPoolExecutor(16, thread_name_prefix="webhook-db")
        )
        tasks: set[asyncio.Task[None]] = set()
        while not stop.is_set():
            self._wake.clear()
            settled = set(self.settling)  # recorded before this scan reads
            try:
                due = await asyncio.to_thread(self._due, time.time())
            except Exception as exc:
                # Nothing was claimed: the rows stay due for the next scan.
                log.warning("webhook scan failed; retrying", error=str(exc))
                due = []
                await asyncio.sleep(1)
            self.settling -= settled
            for d in self._claim(due):
                task = asyncio.create_task(self._attempt(d))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            with suppress(TimeoutError):
                async with asyncio.timeout(self.policy.poll_s):
                    await self._wake.wait()
        # Abandoned attempts were not recorded: their rows are sent again
        # after a restart (at least once).
        for task in tasks:
            task.cancel()
        self.lookups.shutdown(wait=False, cancel_futures=True)

    def _due(self, now: float) -> list[Due]:
        limit = 2 * self.policy.concurrency  # enough past the ones in flight
        found = []
        with self.db.read() as tx:
            # Only endpoints with something due, each then read on its own
            # index with a bound: one endpoint's backlog never crowds out
            # another's deliveries.
            targets = tx.execute(
                "SELECT endpoint_id, url, secrets FROM webhook_targets"
                " WHERE status = 'enabled' AND endpoint_id IN ("
                " SELECT DISTINCT endpoint_id FROM webhook_deliveries"
                " WHERE status = ? AND next_attempt_at <= ?)",
                (PENDING, now),
            )
            for endpoint_id, url, secrets in targets:
                rows = tx.execute(
                    "SELECT delivery_id, event_id, position, attempts"
                    " FROM webhook_deliveries WHERE endpoint_id = ? AND status = ?"
                    " AND next_attempt_at <= ? ORDER BY next_attempt_at, position"
                    " LIMIT ?",
                    (endpoint_id, PENDING, now, limit),
                )
                keys = json.loads(secrets)
                found += [
                    Due(r[0], endpoint_id, r[1], int(r[2]), int(r[3]), url, keys)
                    for r in rows
                ]
        return found

    def _claim(self, due: list[Due]) -> list[Due]:
        claimed = []
        for d in due:
            busy = self.inflight[d.endpoint_id]
            if d.delivery_id in busy or d.delivery_id in self.settling:
                continue
            if d.delivery_id in self.recording:
                continue
            if len(busy) >= self.policy.concurrency:
                continue
            busy.add(d.delivery_id)
            claimed.append(d)
        return claimed

    async def _attempt(self, d: Due) -> None:
        try:
            body = await asyncio.to_thread(self.bodies.get, d.position)
            answer = await self._send(d, body)
            self.recording.add(d.delivery_id)
            self._free(d)  # the receiver is done with it: the next may go
            await asyncio.to_thread(self._record, d, answer, time.time())
        except Exception as exc:
            # The store failed (reading the event, writing the result): the
            # row stays due and is attempted again.
            log.warning("webhook attempt not recorded", error=str(exc))
        finally:
            self._free(d)
            self.recording.discard(d.delivery_id)
            self.settling.add(d.delivery_id)
            if self._wake is not None:
                self._wake.set()

    def _free(self, d: Due) -> None:
        self.inflight[d.endpoint_id].discard(d.delivery_id)
        if self._wake is not None:
            self._wake.set()

    async def _send(self, d: Due, body: bytes) -> Answer:
        now = time.time()
        try:
            secrets = [
                self.sealer.unseal(str(sealed), d.endpoint_id)
                for sealed, until in d.secrets
                if until is None or float(str(until)) > now
            ]
        except Unsealable as exc:
            return Answer(None, f"cannot sign: {exc}")
        headers = signing.headers(secrets, d.event_id, int(now), body)
        p = self.policy
        return await post(
            d.url, headers, body, p.timeout_s, p.allow_private, self.tls, self.lookups
        )

    def _record(self, d: Due, answer: Answer, now: float) -> None:
        attempt = d.attempts + 1
        if answer.ok:
            status, outcome, next_at = SUCCEEDED, SUCCEEDED, None
        elif attempt <= len(self.policy.delays):
            status, outcome = PENDING, "retrying"
            next_at = now + self.policy.delays[attempt - 1]
        else:
            status, outcome, next_at = FAILED, FAILED, None
        with self.db.transaction() as tx:
            tx.execute(
                "UPDATE webhook_deliveries SET status = ?, attempts = ?,"
                " next_attempt_at = ?, last_status_code = ?, last_error = ?,"
                " delivered_at = ? WHERE delivery_id = ?",
                (
                    status,
                    attempt,
                    next_at,
                    answer.status,
                    answer.error,
                    now if answer.ok else None,
                    d.delivery_id,
                ),
            )
        self.metrics.webhook_deliveries.labels(outcome).inc()
