"""What the committer records and answers for each command of a batch: its
receipt (the answer kept for a repeat), and the caller's Outcome or refusal,
given only once the batch's transaction committed."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from application.batch import Decision
from application.jobs import Job
from application.outcome import Outcome
from application.ports import Change, Meta
from application.receipts import Receipt
from domain.errors import DomainError


def one_per_receipt(jobs: list[Job]) -> tuple[list[Job], list[Job]]:
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


def status(job: Job, changed: bool, decided: int | None = None) -> int:
    """201 when a creating command recorded something, 200 otherwise; a
    handler may name its own (202: recorded now, takes effect later)."""
    if decided is not None and changed:
        return decided
    return 201 if job.entry.creates and changed else 200


def receipt(job: Job, decision: Decision, now: datetime) -> Receipt:
    assert job.receipt_id is not None and job.fingerprint is not None
    result = decision.decided.result
    changed = bool(decision.change and decision.change.events)
    return Receipt(
        receipt_id=job.receipt_id,
        key_id=job.who.key_id,
        fingerprint=job.fingerprint,
        command_type=job.command_type,
        status=status(job, changed, decision.decided.status),
        decided_at=now,
        changed=changed,
        result_id=result.id,
        result_version=result.version,
    )


def refusal_change(job: Job, refusal: DomainError, now: datetime) -> Change:
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


def resolve(
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
            status=status(job, changed, answer.decided.status),
            changed=changed,
            dry_run=job.dry_run,
            secret=answer.decided.secret,
        )
    )
