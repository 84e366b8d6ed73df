"""Tamper evidence: recompute the hash chains and the checkpoints over the log.

Every stored event carries a hash chaining it to its aggregate's previous
event (infra/chain.py). Periodically a checkpoint (domain/checkpoint.py)
records the head of every aggregate changed since the previous checkpoint and
the highest position it covers; checkpoints chain to each other as events of
one aggregate. `verify` walks the log in position order, streamed, and finds:

- an altered event: its content no longer matches its hash;
- a deleted event: a version gap in its aggregate, or a head a checkpoint
  recorded that the log no longer reaches;
- an inserted event: a version seen twice or a hash that does not chain, or
  an event a checkpoint does not account for;
- reordered events: versions out of order, or an event moved across a
  checkpoint's boundary.

A dropped tail after the latest checkpoint cannot be told from history that
was never written; `since_checkpoint` says how many events that covers, and an
auditor who noted an earlier `head_hash` can check it is still in the chain.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from uuid import UUID

import structlog
from eventsourcing.persistence import IntegrityError, Notification

from domain.checkpoint import AUDIT_TRAIL_ID, AuditTrail, Heads
from infra.chain import GENESIS, HASH, META, event_hash, split_hash
from infra.events import CommandContext

if TYPE_CHECKING:
    from rich.console import Console

    from infra.bootstrap import Container
    from infra.usecases.base import LedgerBase

log = structlog.get_logger(__name__)

BATCH = 1000
CHECKPOINT_ACTOR = "system:audit-checkpoint"


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    checked: int
    head_hash: str | None
    first_bad_position: int | None = None
    reason: str | None = None
    # The latest checkpoint's own position, and how many checked events
    # come after what it covers (chained, but not yet anchored).
    checkpoint_position: int | None = None
    since_checkpoint: int = 0


class Tampered(Exception):
    def __init__(self, position: int, reason: str) -> None:
        super().__init__(f"position {position}: {reason}")
        self.position = position
        self.reason = reason


def stream(
    ledger: LedgerBase, after: int = 0, stop: int | None = None
) -> Iterator[Notification]:
    """The store's log after `after` (up to `stop`), in position order,
    BATCH rows at a time."""
    start = after + 1
    while True:
        batch = ledger.recorder.select_notifications(start, BATCH, stop=stop)
        if not batch:
            return
        yield from batch
        start = batch[-1].id + 1


@dataclass
class _Entry:
    position: int
    aggregate_id: UUID
    version: int
    hash: str


@dataclass
class Walk:
    """The state of one verification pass over the log."""

    tenants: set[str] | None = None
    heads: dict[UUID, tuple[int, str]] = field(default_factory=dict)
    window: list[_Entry] = field(default_factory=list)  # since the last checkpoint
    through: int = 0
    checked: int = 0
    head_hash: str | None = None
    checkpoint_position: int | None = None

    def step(self, n: Notification) -> None:
        aggregate_id, version = n.originator_id, n.originator_version
        assert isinstance(aggregate_id, UUID)
        state = _state(n)
        meta = state.get(META)
        tenant = meta.get("tenant_id") if isinstance(meta, dict) else None
        trail = aggregate_id == AUDIT_TRAIL_ID
        if not (trail or self.tenants is None or tenant in self.tenants):
            return
        what = f"{_kind(n.topic)} {aggregate_id}"
        stored = split_hash(state)
        last, previous = self.heads.get(aggregate_id, (0, GENESIS))
        if version <= last:
            raise Tampered(n.id, f"{what} v{version} appears again after v{last}")
        if version != last + 1:
            missing = f"v{last + 1}" + (
                f"..v{version - 1}" if version > last + 2 else ""
            )
            raise Tampered(n.id, f"{what}: {missing} missing before v{version}")
        if stored is None:
            raise Tampered(n.id, f"{what} v{version} carries no hash")
        if event_hash(previous, aggregate_id, version, n.topic, state) != stored:
            raise Tampered(n.id, f"{what} v{version} does not match its hash")
        self.heads[aggregate_id] = (version, stored)
        self.checked += 1
        if not trail:
            self.window.append(_Entry(n.id, aggregate_id, version, stored))
        elif version > 1:
            self._checkpoint(n.id, state, stored)

    def _checkpoint(self, position: int, state: dict[str, Any], hash_: str) -> None:
        after, through, heads = (
            state.get("after"),
            state.get("through"),
            state.get("heads"),
        )
        if not (isinstance(after, int) and isinstance(through, int)):
            raise Tampered(position, "checkpoint without its range")
        if not isinstance(heads, dict):
            raise Tampered(position, "checkpoint without its heads")
        if after != self.through:
            raise Tampered(
                position,
                f"checkpoint starts after position {after}, "
                f"the previous one ended at {self.through}",
            )
        covered = [e for e in self.window if e.position <= through]
        self.window = [e for e in self.window if e.position > through]
        _compare(position, covered, self._recorded(heads))
        self.through = through
        self.head_hash = hash_
        self.checkpoint_position = position

    def _recorded(self, heads: dict[str, Any]) -> dict[str, tuple[int, str]]:
        recorded: dict[str, tuple[int, str]] = {}
        for aggregate_id, head in heads.items():
            if not (isinstance(head, list) and len(head) == 3):
                continue  # malformed entries show up as a mismatch
            version, hash_, tenant = head
            if self.tenants is None or tenant in self.tenants:
                recorded[aggregate_id] = (version, hash_)
        return recorded

    def report(self, bad: Tampered | None = None) -> VerifyReport:
        return VerifyReport(
            ok=bad is None,
            checked=self.checked,
            head_hash=self.head_hash,
            first_bad_position=bad.position if bad else None,
            reason=bad.reason if bad else None,
            checkpoint_position=self.checkpoint_position,
            since_checkpoint=len(self.window),
        )


def _compare(
    position: int, covered: list[_Entry], recorded: dict[str, tuple[int, str]]
) -> None:
    """The log's heads up to the checkpoint's `through` must be exactly the
    ones it recorded. The first bad position is the earliest event the
    checkpoint does not account for, else the checkpoint itself."""
    found: dict[str, tuple[int, str]] = {}
    for e in covered:
        found[str(e.aggregate_id)] = (e.version, e.hash)
    problems: list[tuple[int, str]] = []
    at = f"the checkpoint at {position}"
    for key in sorted(found.keys() | recorded.keys()):
        have, want = found.get(key), recorded.get(key)
        if have == want:
            continue
        if have is None or (want is not None and have[0] < want[0]):
            reached = f"v{have[0]}" if have else "no event"
            wanted = f"v{want[0]}" if want else "?"
            problems.append((position, f"{at} records {key} {wanted}; log: {reached}"))
            continue
        # More events than recorded, or the recorded head with another hash:
        # the earliest event of the aggregate past what was recorded.
        last = 0 if want is None else want[0] - (have[0] == want[0])
        extra = next(
            e for e in covered if str(e.aggregate_id) == key and e.version > last
        )
        problems.append(
            (extra.position, f"{key} v{extra.version} is not accounted for by {at}")
        )
    if problems:
        raise Tampered(*min(problems))


def _state(n: Notification) -> dict[str, Any]:
    try:
        state = json.loads(n.state)
    except ValueError:
        raise Tampered(n.id, "the stored event is not readable JSON") from None
    if not isinstance(state, dict):
        raise Tampered(n.id, "the stored event is not a JSON object")
    return state


def _kind(topic: str) -> str:
    return topic.split(":", 1)[-1].split(".")[0]


def verify(
    ledger: LedgerBase,
    tenants: set[str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> VerifyReport:
    """Recomputes the chains over the whole log. With `tenants`, only their
    events (and the checkpoints' entries for them) are checked."""
    walk = Walk(tenants)
    try:
        for n in stream(ledger):
            walk.step(n)
            if progress is not None:
                progress(n.id)
    except Tampered as bad:
        log.warning(
            "audit verification failed", position=bad.position, reason=bad.reason
        )
        return walk.report(bad)
    return walk.report()


def write_checkpoint(ledger: LedgerBase) -> int | None:
    """Records the heads of every aggregate changed since the last checkpoint;
    the position of the new checkpoint, or None when nothing changed (or
    another process recorded one at the same moment)."""
    trail = ledger.find(AuditTrail, AUDIT_TRAIL_ID)
    after = trail.through if trail is not None else 0
    head = ledger.head()
    heads: Heads = {}
    through = after
    for n in stream(ledger, after, stop=head):
        through = n.id
        if n.originator_id == AUDIT_TRAIL_ID:
            continue
        meta = _state(n).get(META)
        meta = meta if isinstance(meta, dict) else {}
        heads[str(n.originator_id)] = [
            n.originator_version,
            meta.get(HASH),
            meta.get("tenant_id"),
        ]
    if not heads:
        return None
    trail = trail if trail is not None else AuditTrail()
    trail.check(through, heads)
    try:
        position = ledger.record(CommandContext(actor=CHECKPOINT_ACTOR), trail)
    except IntegrityError:
        return None
    log.info(
        "audit checkpoint recorded",
        position=position,
        through=through,
        aggregates=len(heads),
    )
    return position


def run_verify(c: Container, tenants: set[str] | None, console: Console) -> bool:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    head = c.ledger.head()
    started = time.monotonic()
    with Progress(
        TextColumn("verifying"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("verify", total=head)
        report = verify(c.ledger, tenants, lambda p: bar.update(task, completed=p))
    seconds = time.monotonic() - started
    if report.ok:
        console.print(
            f"[green]ok[/]: {report.checked} events checked in {seconds:.1f}s; "
            f"head hash {report.head_hash or '(no checkpoint yet)'}; "
            f"{report.since_checkpoint} event(s) after the latest checkpoint"
        )
    else:
        console.print(
            f"[red]TAMPERED[/] at position {report.first_bad_position}: "
            f"{report.reason} ({report.checked} events checked before it)"
        )
    return report.ok
