"""ScheduledChange: a contract change (a pool's new limit) planned for an
instant, and what became of it.

A partner agrees today that a contract changes on the first of next month.
The change is recorded now (who planned what, for when) and applied when its
instant has come, with the rules of an immediate change at that moment: when
they refuse it, it fails with the reason and nothing else changes. The pool
keeps the changes still pending (domain/seat_pool.py), so any command on it
applies those that fell due first; this aggregate keeps each change's story.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.common import instant
from domain.errors import InvalidState

SCHEDULED, APPLIED, FAILED, CANCELLED = "scheduled", "applied", "failed", "cancelled"


class ScheduledChange(Aggregate):
    @event("ContractChangeScheduled")
    def __init__(
        self,
        tenant_id: UUID,
        pool: str,
        limit: int,
        warning_threshold: float | None,
        effective_at: str,
        scheduled_at: str,
    ) -> None:
        self.tenant_id = tenant_id
        self.pool = pool
        self.limit = limit
        # None: the threshold the pool has when the change is applied.
        self.warning_threshold = warning_threshold
        self.effective_at = effective_at
        self.scheduled_at = scheduled_at
        self.status = SCHEDULED
        self.reason: str | None = None  # a failure's error code
        self.detail: str | None = None  # and its sentence
        self.settled_at: str | None = None  # applied, failed or cancelled then

    def check_scheduled(self) -> None:
        if self.status != SCHEDULED:
            raise InvalidState(
                f"the change is {self.status}, no longer scheduled",
                status=self.status,
            )

    def apply(self, now: datetime) -> None:
        self.check_scheduled()
        self._applied(self.effective_at, instant(now))

    @event("ContractChangeApplied")
    def _applied(self, effective_at: str, applied_at: str) -> None:
        # Both instants: when it was due, and when it took effect (a service
        # that was down at `effective_at` applies it when it is back).
        self.status = APPLIED
        self.settled_at = applied_at

    def fail(self, reason: str, detail: str, now: datetime) -> None:
        self.check_scheduled()
        self._failed(self.effective_at, instant(now), reason, detail)

    @event("ContractChangeFailed")
    def _failed(
        self, effective_at: str, failed_at: str, reason: str, detail: str
    ) -> None:
        self.status = FAILED
        self.settled_at = failed_at
        self.reason = reason
        self.detail = detail

    def cancel(self, now: datetime) -> None:
        self.check_scheduled()
        self._cancelled(instant(now))

    @event("ContractChangeCancelled")
    def _cancelled(self, cancelled_at: str) -> None:
        self.status = CANCELLED
        self.settled_at = cancelled_at
