"""SeatTransfer: contracted seats moved from one sub-tenant to a sibling.

Two sub-tenants whose pools of one name draw from the same parent pool can
trade seats without cancelling and re-buying: the giver's limit falls, the
receiver's rises, the parent's allocations follow and its `available` stays
as it was, all in one save. The rule spans four aggregates (two tenants, two
pools and the parent's pool), so it lives here, named; the record of the
transfer says who moved how many seats where, and which versions of the two
pools the move produced (the answer to the command, also when repeated).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.common import MAX_LIMIT
from domain.errors import LimitBelowUsage, ValidationFailed
from domain.seat_pool import SeatPool, pool_id
from domain.tenant import Tenant


class SeatTransfer(Aggregate):
    @event("SeatsTransferred")
    def __init__(
        self,
        tenant_id: UUID,
        to_tenant_id: UUID,
        pool: str,
        quantity: int,
        from_version: int,
        to_version: int,
    ) -> None:
        self.tenant_id = tenant_id  # the giver: its history tells of the move
        self.to_tenant_id = to_tenant_id
        self.pool = pool
        self.quantity = quantity
        # The versions of the two pools the move produced.
        self.from_version = from_version
        self.to_version = to_version

    @property
    def from_pool_id(self) -> UUID:
        return pool_id(self.tenant_id, self.pool)

    @property
    def to_pool_id(self) -> UUID:
        return pool_id(self.to_tenant_id, self.pool)


def check_siblings(giver: Tenant, receiver: Tenant | None) -> Tenant:
    """Both under the same parent, and not the same tenant. An unknown
    receiver is answered alike, so the answer reveals nothing about it."""
    if (
        receiver is None
        or receiver.id == giver.id
        or giver.parent_id is None
        or receiver.parent_id != giver.parent_id
    ):
        raise ValidationFailed(
            "seats move only between sibling sub-tenants (the same parent)",
            field="to_tenant_id",
        )
    return receiver


def check_draws_from(pool: SeatPool | None, parent_pool: SeatPool) -> None:
    """A contracted pool on either side must draw from the parent's pool."""
    if pool is not None and pool.contracted and pool.parent_pool_id != parent_pool.id:
        raise ValidationFailed(
            f"the pool {pool.pool!r} of tenant {pool.tenant_id} does not draw "
            "from the parent's pool",
            field="pool",
        )


@dataclass(frozen=True)
class Move:
    """The limits a transfer leads to, checked before anything changes."""

    giver_limit: int
    receiver_limit: int

    @classmethod
    def of(
        cls, giver: SeatPool, receiver: SeatPool | None, quantity: int, now: datetime
    ) -> Move:
        held = receiver.limit if receiver is not None and receiver.contracted else 0
        receiver_limit = (held or 0) + quantity
        if receiver_limit > MAX_LIMIT:
            raise ValidationFailed(
                f"the receiver's limit would exceed {MAX_LIMIT}", field="quantity"
            )
        giver_limit = (giver.limit or 0) - quantity
        if giver_limit < 0:
            raise LimitBelowUsage(
                f"the pool has {giver.limit} seats; it cannot give {quantity}",
                limit=giver.limit,
                quantity=quantity,
            )
        giver.check_limit(giver_limit, now)
        if receiver is not None:
            receiver.check_limit(receiver_limit, now)
        return cls(giver_limit, receiver_limit)
