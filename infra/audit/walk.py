"""One verification pass over the log: the chains and the checkpoints."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import Notification

from domain.checkpoint import AUDIT_TRAIL_ID
from infra.chain import GENESIS, META, event_hash, split_hash

if TYPE_CHECKING:
    from application.ports import EventLog


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
    # Events recorded before events carried hashes (a store older than the
    # hash chain): accepted at the start of their aggregates' histories until
    # the first checkpoint anchors them.
    unhashed: int = 0


class Tampered(Exception):
    def __init__(self, position: int, reason: str) -> None:
        super().__init__(f"position {position}: {reason}")
        self.position = position
        self.reason = reason


def stream(
    log: EventLog, after: int = 0, stop: int | None = None
) -> Iterator[Notification]:
    """The store's log after `after` (up to `stop`), one event at a time."""
    for batch in log.read(after, stop):
        yield from batch


@dataclass(slots=True)
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
    unhashed: int = 0
    hashed: set[UUID] = field(default_factory=set)

    def step(self, n: Notification) -> None:
        aggregate_id, version = n.originator_id, n.originator_version
        assert isinstance(aggregate_id, UUID)
        state = state_of(n)
        meta = state.get(META)
        tenant = meta.get("tenant_id") if isinstance(meta, dict) else None
        if not (tenant is None or isinstance(tenant, str)):
            raise Tampered(n.id, "the stored event names no readable tenant")
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
        computed = event_hash(previous, aggregate_id, version, n.topic, state)
        if stored is None:
            # Recorded before events carried hashes: accepted only as the
            # start of an aggregate's history, before the first checkpoint
            # (which then anchors what these events would have hashed to).
            if self.checkpoint_position is not None or aggregate_id in self.hashed:
                raise Tampered(n.id, f"{what} v{version} carries no hash")
            self.unhashed += 1
            stored = computed
        elif computed != stored:
            raise Tampered(n.id, f"{what} v{version} does not match its hash")
        else:
            self.hashed.add(aggregate_id)
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
        _compare(position, covered, self._recorded(position, heads))
        self.through = through
        self.head_hash = hash_
        self.checkpoint_position = position

    def _recorded(
        self, position: int, heads: dict[str, Any]
    ) -> dict[str, tuple[int, str]]:
        recorded: dict[str, tuple[int, str]] = {}
        for aggregate_id, head in heads.items():
            if not _is_head(head):
                raise Tampered(
                    position, f"checkpoint entry for {aggregate_id} is malformed"
                )
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
            unhashed=self.unhashed,
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


def _is_head(head: object) -> bool:
    """[version, hash, tenant or None], as write_checkpoint records it."""
    if not (isinstance(head, list) and len(head) == 3):
        return False
    version, hash_, tenant = head
    return (
        isinstance(version, int)
        and isinstance(hash_, str)
        and (tenant is None or isinstance(tenant, str))
    )


def state_of(n: Notification) -> dict[str, Any]:
    try:
        state = json.loads(n.state)
    except ValueError:
        raise Tampered(n.id, "the stored event is not readable JSON") from None
    if not isinstance(state, dict):
        raise Tampered(n.id, "the stored event is not a JSON object")
    return state


def _kind(topic: str) -> str:
    return topic.split(":", 1)[-1].split(".")[0]
