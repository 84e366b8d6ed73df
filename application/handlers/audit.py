"""Audit checkpoints: the heads of the aggregates changed since the last one
(computed from the log by infra/audit), recorded as the next checkpoint."""

from __future__ import annotations

from application.decision import Decided
from application.session import Session
from domain.checkpoint import AUDIT_TRAIL_ID, AuditTrail
from domain.commands import RecordCheckpoint
from domain.errors import InvalidState


def record_checkpoint(cmd: RecordCheckpoint, s: Session) -> Decided:
    trail = s.find(AuditTrail, AUDIT_TRAIL_ID) or AuditTrail()
    if trail.through != cmd.after:
        # Another process recorded a checkpoint since these heads were read.
        raise InvalidState(
            f"the last checkpoint is through {trail.through}, not {cmd.after}"
        )
    trail.check(cmd.through, cmd.heads)
    return Decided(trail)
