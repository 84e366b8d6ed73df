"""LicenseOrder: a tenant asks for more seats; an ancestor approves or rejects."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidState

PLACED, FULFILLED, REJECTED, CANCELLED = "placed", "fulfilled", "rejected", "cancelled"


class LicenseOrder(Aggregate):
    @event("LicenseOrderPlaced")
    def __init__(
        self,
        tenant_id: UUID,
        pool: str,
        quantity: int,
        note: str | None,
        placed_by: str,
    ) -> None:
        self.tenant_id = tenant_id
        self.pool = pool
        self.quantity = quantity
        self.note = note
        self.placed_by = placed_by
        self.status = PLACED
        self.reason: str | None = None

    def check_placed(self) -> None:
        if self.status != PLACED:
            raise InvalidState(f"the order is {self.status}", status=self.status)

    def fulfil(self) -> None:
        self.check_placed()
        self._fulfil()

    @event("LicenseOrderFulfilled")
    def _fulfil(self) -> None:
        self.status = FULFILLED

    def reject(self, reason: str) -> None:
        self.check_placed()
        self._reject(reason)

    @event("LicenseOrderRejected")
    def _reject(self, reason: str) -> None:
        self.status = REJECTED
        self.reason = reason

    def cancel(self) -> None:
        self.check_placed()
        self._cancel()

    @event("LicenseOrderCancelled")
    def _cancel(self) -> None:
        self.status = CANCELLED
