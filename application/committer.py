"""Group commit: commands that arrive together are saved together.

One thread per process takes every command queued while the previous batch
was being saved, decides them one after another on current in-memory state,
and saves all their events and receipts in one transaction: the store's lock
and commit are paid once per batch, not once per command. Each caller is
answered only after that transaction committed, with its own position or its
own refusal.
"""

from __future__ import annotations

import json
import queue
import random
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import structlog
from eventsourcing.persistence import PersistenceError

from application.batch import Batch, Decision
from application.cache import AggregateCache
from application.jobs import Job
from application.outcome import Outcome
from application.ports import AggregateStore, Change, Meta, StaleState
from application.receipts import Receipt, ReceiptBook
from application.session import Session
from application.snapshots import snapshot_due
from domain.errors import ConcurrencyConflict, DomainError

log = structlog.get_logger(__name__)
_STOP = object()


class Committer:
    def __init__(
        self,
        store: AggregateStore,
        receipts: ReceiptBook,
        clock: Callable[[], datetime],
        *,
        cache_size: int = 10_000,
        max_batch: int = 500,
        retry_attempts: int = 10,
    ) -> None:
        self.store = store
        self.receipts = receipts
        self.clock = clock
        self.cache = AggregateCache(cache_size)
        self.max_batch = max_batch
        self.retry_attempts = retry_attempts
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start = threading.Lock()

    def submit(self, job: Job) -> Job:
        if self._thread is None:
            with self._start:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._loop, name="committer", daemon=True
                    )
                    self._thread.start()
        self._queue.put(job)
        return job

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join(timeout=30)

    def _loop(self) -> None:
        while True:
            jobs = self._next()
            if jobs is None:
                return
            try:
                self._run(jobs)
            except BaseException as exc:
                # Whatever went wrong (the store down, a bug), every caller
                # still waiting hears of it; nothing of theirs was saved.
                for job in jobs:
                    if not job.future.done():
                        job.future.set_exception(exc)

    def _drain(self) -> list[Job]:
        waiting: list[Job] = []
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                return waiting
            if job is _STOP:
                self._queue.put(_STOP)
                return waiting
            waiting.append(job)

    def _next(self) -> list[Job] | None:
        first = self._queue.get()
        if first is _STOP:
            return None
        jobs = [first]
        while len(jobs) < self.max_batch:
            try:
                more = self._queue.get_nowait()
            except queue.Empty:
                break
            if more is _STOP:
                self._queue.put(_STOP)
                break
            jobs.append(more)
        return jobs

    def _run(self, jobs: list[Job]) -> None:
        jobs, later = _one_per_receipt(jobs)
        pending = self._answer_recorded(jobs)
        for attempt in range(1, self.retry_attempts + 1):
            if not pending:
                break
            try:
                self._attempt(pending)
                pending = []
            except StaleState:
                # Nothing was saved; decide again on fresh state, spreading
                # racing processes out with a jittered pause.
                time.sleep(random.uniform(0, min(0.1, 0.002 * 2**attempt)))
                pending = self._answer_recorded(pending)
        for job in pending:
            job.future.set_exception(
                ConcurrencyConflict(
                    "the command kept conflicting with concurrent changes; try again",
                    attempts=self.retry_attempts,
                )
            )
        for job in later:  # a repeat of a command in this batch: now recorded
            self._queue.put(job)

    def _answer_recorded(self, jobs: list[Job]) -> list[Job]:
        """Answers the jobs whose receipt exists; returns the others."""
        ids = [j.receipt_id for j in jobs if j.receipt_id and not j.dry_run]
        found = self.receipts.lookup(ids) if ids else {}
        rest = []
        for job in jobs:
            receipt = found.get(job.receipt_id) if job.receipt_id else None
            if receipt is None or job.dry_run:
                rest.append(job)
            else:
                job.future.set_result(receipt)
        return rest

    def _attempt(self, jobs: list[Job]) -> None:
        batch = Batch(self.store, self.cache)
        answers: list[tuple[Job, Decision | BaseException, datetime]] = []
        try:
            for job in jobs:
                now = self.clock()
                answers.append((job, self._decide(batch, job, now), now))
            head = self.store.append(batch.commit)
        except BaseException as exc:
            stale = exc.ids if isinstance(exc, StaleState) else set()
            self.cache.evict(stale | batch.changed_ids())
            raise
        self._remember(batch)
        for job, answer, now in answers:
            _resolve(job, answer, now, head)

    def _decide(
        self, batch: Batch, job: Job, now: datetime
    ) -> Decision | BaseException:
        try:
            decision = batch.decide(job, Session(batch, job.who, now))
        except (StaleState, PersistenceError):
            # The batch is decided again, or (the store failing) answered
            # with the fault: one attempt for all of it, not one per command.
            raise
        except DomainError as refusal:
            if job.receipt_id and not job.dry_run and job.who.writes:
                batch.commit.changes.append(_refusal_change(job, refusal, now))
            return refusal
        except Exception as bug:
            log.exception("command failed", type=job.command_type)
            return bug
        if job.receipt_id and decision.change is not None:
            decision.change.receipt = _receipt(job, decision, now)
        return decision

    def _remember(self, batch: Batch) -> None:
        """The batch's aggregates stay cached as saved; snapshots as due."""
        for aggregate_id in batch.changed_ids():
            aggregate = batch.live[aggregate_id]
            cached = self.cache.get(aggregate_id)
            version = cached.snapshot_version if cached is not None else 0
            if snapshot_due(aggregate, version):
                try:
                    self.store.snapshot(aggregate)
                    version = aggregate.version
                except Exception:
                    # A missing snapshot only makes a later load longer.
                    log.warning("snapshot not stored", aggregate_id=str(aggregate_id))
            self.cache.put(aggregate, version)


def _one_per_receipt(jobs: list[Job]) -> tuple[list[Job], list[Job]]:
    """Two calls with one receipt in a batch: the second waits for the next
    batch, where it is answered from the first one's receipt."""
    seen: set[Any] = set()
    now, later = [], []
    for job in jobs:
        if job.receipt_id is not None and not job.dry_run:
            if job.receipt_id in seen:
                later.append(job)
                continue
            seen.add(job.receipt_id)
        now.append(job)
    return now, later


def _status(job: Job, changed: bool, decided: int | None = None) -> int:
    if decided is not None and changed:
        return decided
    return 201 if job.entry.creates and changed else 200


def _receipt(job: Job, decision: Decision, now: datetime) -> Receipt:
    assert job.receipt_id is not None and job.fingerprint is not None
    result = decision.decided.result
    changed = bool(decision.change and decision.change.events)
    return Receipt(
        receipt_id=job.receipt_id,
        key_id=job.who.key_id,
        fingerprint=job.fingerprint,
        command_type=job.command_type,
        status=_status(job, changed, decision.decided.status),
        decided_at=now,
        changed=changed,
        result_id=result.id,
        result_version=result.version,
    )


def _refusal_change(job: Job, refusal: DomainError, now: datetime) -> Change:
    assert job.receipt_id is not None and job.fingerprint is not None
    extra = json.loads(json.dumps(refusal.extra, default=str))
    receipt = Receipt(
        receipt_id=job.receipt_id,
        key_id=job.who.key_id,
        fingerprint=job.fingerprint,
        command_type=job.command_type,
        status=0,  # the status belongs to the code; the API maps it
        decided_at=now,
        error={"code": refusal.code, "detail": refusal.detail, "extra": extra},
    )
    meta = Meta(job.actor, job.correlation_id, job.causation_id)
    return Change([], meta, {}, receipt)


def _resolve(
    job: Job, answer: Decision | BaseException, now: datetime, head: int
) -> None:
    if isinstance(answer, BaseException):
        job.future.set_exception(answer)
        return
    change = answer.change
    changed = bool(change and change.events) or answer.would_change
    job.future.set_result(
        Outcome(
            view=answer.view,
            position=change.position if change is not None else head,
            decided_at=now,
            status=_status(job, changed, answer.decided.status),
            changed=changed,
            dry_run=job.dry_run,
            secret=answer.decided.secret,
        )
    )
