"""Writing checkpoints: the heads of the aggregates changed since the last,
read from the log and recorded through the command bus."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

import structlog

from application.auth import system
from domain.checkpoint import AUDIT_TRAIL_ID, AuditTrail, Heads
from domain.commands import RecordCheckpoint
from domain.errors import InvalidState
from infra.audit.walk import state_of, stream
from infra.chain import HASH, META

if TYPE_CHECKING:
    from application.bus import CommandBus
    from application.ports import AggregateReader
    from infra.eventstore import Log

log = structlog.get_logger(__name__)

# Heads per checkpoint: about 150 bytes each, so a checkpoint stays far below
# Kafka's default 1 MiB message limit.
MAX_HEADS = 2000
CHECKPOINTER = system("audit-checkpoint")


def write_checkpoint(
    events: Log, reader: AggregateReader, bus: CommandBus, max_heads: int = MAX_HEADS
) -> int | None:
    """Records the heads of every aggregate changed since the last checkpoint,
    in checkpoints of at most `max_heads` aggregates each (a checkpoint is an
    event like any other: it must stay small enough for Kafka). The position
    of the last checkpoint recorded; None when nothing changed, or when
    another process recorded one at the same moment."""
    recorded = None
    while True:
        position, more = _checkpoint_once(events, reader, bus, max_heads)
        recorded = position or recorded
        if position is None or not more:
            return recorded


def _checkpoint_once(
    events: Log, reader: AggregateReader, bus: CommandBus, max_heads: int
) -> tuple[int | None, bool]:
    trail = reader.get(AUDIT_TRAIL_ID)
    after = trail.through if isinstance(trail, AuditTrail) else 0
    heads: Heads = {}
    through, more = after, False
    for n in stream(events, after, stop=events.head()):
        key = str(n.originator_id)
        if key not in heads and len(heads) == max_heads:
            more = True
            break
        through = n.id
        if n.originator_id == AUDIT_TRAIL_ID:
            continue
        meta = state_of(n).get(META)
        meta = meta if isinstance(meta, dict) else {}
        hash_ = meta.get(HASH) or events.stored_hash(UUID(key), n.originator_version)
        heads[key] = [n.originator_version, hash_, meta.get("tenant_id")]
    if not heads:
        return None, False
    try:
        outcome = bus.handle(
            CHECKPOINTER, RecordCheckpoint(after=after, through=through, heads=heads)
        )
    except InvalidState:
        return None, False  # another process recorded one meanwhile
    log.info(
        "audit checkpoint recorded",
        position=outcome.position,
        through=through,
        aggregates=len(heads),
    )
    return outcome.position, more
