"""AuditTrail: the periodic checkpoints of the whole event log.

Each checkpoint records, for every aggregate changed since the previous
checkpoint, its head (version, hash, tenant), and the highest position it
covers. Checkpoints are events of one aggregate, so they are hash-chained to
each other like any aggregate's events; a dropped tail of some aggregate shows
as a head that no longer matches.
"""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.common import derive_id
from domain.errors import InvalidState

AUDIT_TRAIL_ID = derive_id("audit-trail")

# aggregate id -> [version, hash, tenant id or None]
Heads = dict[str, list[int | str | None]]


class AuditTrail(Aggregate):
    @staticmethod
    def create_id() -> UUID:
        return AUDIT_TRAIL_ID

    @event("AuditTrailStarted")
    def __init__(self) -> None:
        self.through = 0  # the highest position the last checkpoint covers

    def check(self, through: int, heads: Heads) -> None:
        if through <= self.through:
            raise InvalidState(
                f"a checkpoint through {through} would not advance past {self.through}"
            )
        if not heads:
            raise InvalidState("a checkpoint needs at least one changed aggregate")
        self._checkpointed(after=self.through, through=through, heads=heads)

    @event("CheckpointRecorded")
    def _checkpointed(self, after: int, through: int, heads: Heads) -> None:
        self.through = through
