"""When the bus stores a snapshot of an aggregate it just saved.

A load is a snapshot plus the events after it, so a command's cost does not
grow with an aggregate's history. Writing a snapshot costs in proportion to
the aggregate's size, so a big pool is snapshotted less often: about one
tenth of its holders in events apart, which keeps both the writing (spread
over those events) and the replay after the snapshot small.
"""

from __future__ import annotations

from eventsourcing.domain import Aggregate

from domain.checkpoint import AuditTrail
from domain.seat_pool import SeatPool
from domain.tenant import Tenant

INTERVALS: dict[type[Aggregate], int] = {SeatPool: 50, Tenant: 50, AuditTrail: 50}


def snapshot_due(aggregate: Aggregate, snapshot_version: int) -> bool:
    interval = INTERVALS.get(type(aggregate))
    if interval is None:
        return False
    if isinstance(aggregate, SeatPool):
        interval = max(interval, len(aggregate.holders) // 10)
    return aggregate.version - snapshot_version >= interval
