"""Writing checkpoints: the heads of the aggregates changed since the last."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

import structlog
from eventsourcing.persistence import IntegrityError

from domain.checkpoint import AUDIT_TRAIL_ID, AuditTrail, Heads
from infra.audit.walk import state_of, stream
from infra.chain import HASH, META
from infra.events import CommandContext

if TYPE_CHECKING:
    from infra.usecases.base import LedgerBase

log = structlog.get_logger(__name__)

# Heads per checkpoint: about 150 bytes each, so a checkpoint stays far below
# Kafka's default 1 MiB message limit.
MAX_HEADS = 2000
CHECKPOINT_ACTOR = "system:audit-checkpoint"


def write_checkpoint(ledger: LedgerBase, max_heads: int = MAX_HEADS) -> int | None:
    """Records the heads of every aggregate changed since the last checkpoint,
    in checkpoints of at most `max_heads` aggregates each (a checkpoint is an
    event like any other: it must stay small enough for Kafka). The position
    of the last checkpoint recorded; None when nothing changed, or when
    another process recorded one at the same moment."""
    recorded = None
    while True:
        position, more = _checkpoint_once(ledger, max_heads)
        recorded = position or recorded
        if position is None or not more:
            return recorded


def _checkpoint_once(ledger: LedgerBase, max_heads: int) -> tuple[int | None, bool]:
    trail = ledger.find(AuditTrail, AUDIT_TRAIL_ID)
    after = trail.through if trail is not None else 0
    heads: Heads = {}
    through, more = after, False
    for n in stream(ledger, after, stop=ledger.head()):
        key = str(n.originator_id)
        if key not in heads and len(heads) == max_heads:
            more = True
            break
        through = n.id
        if n.originator_id == AUDIT_TRAIL_ID:
            continue
        meta = state_of(n).get(META)
        meta = meta if isinstance(meta, dict) else {}
        hash_ = meta.get(HASH) or ledger.stored_hash(UUID(key), n.originator_version)
        heads[key] = [n.originator_version, hash_, meta.get("tenant_id")]
    if not heads:
        return None, False
    trail = trail if trail is not None else AuditTrail()
    trail.check(through, heads)
    try:
        position = ledger.record(CommandContext(actor=CHECKPOINT_ACTOR), trail)
    except IntegrityError:
        return None, False
    log.info(
        "audit checkpoint recorded",
        position=position,
        through=through,
        aggregates=len(heads),
    )
    return position, more
