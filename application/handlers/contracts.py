"""Contracts over time: changes scheduled for an instant, and seats moved
between sibling sub-tenants."""

from __future__ import annotations

from application.decision import Decided, decided
from application.handlers.pools import (
    contracted_pool,
    find_pool,
    parent_pool_of,
    tracked_pool,
)
from application.session import Session
from domain.commands import (
    ApplyDueChanges,
    CancelScheduledChange,
    SetSeatLimit,
    TransferSeats,
)
from domain.common import instant
from domain.errors import NotFound, ValidationFailed
from domain.scheduled_change import ScheduledChange
from domain.seat_pool import SeatPool
from domain.seat_transfer import (
    Move,
    SeatTransfer,
    check_draws_from,
    check_siblings,
)
from domain.tenant import Tenant

ACCEPTED = 202  # recorded now, takes effect at its instant


def schedule_limit(cmd: SetSeatLimit, s: Session) -> Decided:
    """Records the change for its instant (in the future: an instant that has
    come is what an immediate change is for). Its rules are judged when it is
    applied, at that moment, not now."""
    assert cmd.effective_at is not None
    effective_at = instant(cmd.effective_at)
    if effective_at <= instant(s.now):
        raise ValidationFailed(
            "effective_at must be in the future (leave it out to change the limit now)",
            field="effective_at",
        )
    tenant = s.tenant(cmd.tenant_id)
    tenant.check_open()
    pool = tracked_pool(s, tenant, cmd.pool)
    change = ScheduledChange(
        tenant_id=tenant.id,
        pool=cmd.pool,
        limit=cmd.limit,
        warning_threshold=cmd.warning_threshold,
        effective_at=effective_at,
        scheduled_at=instant(s.now),
    )
    pool.note_change(
        change.id, cmd.limit, cmd.warning_threshold, effective_at, change.scheduled_at
    )
    return Decided(change, (pool, tenant), status=ACCEPTED)


def cancel_change(cmd: CancelScheduledChange, s: Session) -> Decided:
    change = s.load(ScheduledChange, cmd.change_id, "scheduled change")
    pool = find_pool(s, change.tenant_id, change.pool)  # may apply it first
    change.cancel(s.now)  # invalid_state once applied, failed or cancelled
    if pool is not None:
        pool.settle_change(change.id)
    return decided(change, pool)


def apply_due(cmd: ApplyDueChanges, s: Session) -> Decided:
    """The scheduler's nudge: loading the pool applies what is due."""
    pool = find_pool(s, s.tenant(cmd.tenant_id).id, cmd.pool)
    if pool is None:
        raise NotFound(f"seat pool {cmd.pool!r} not found")
    return decided(pool)


def transfer_seats(cmd: TransferSeats, s: Session) -> Decided:
    """The giver's limit falls by `quantity`, the receiver's rises by it
    (its pool opened when absent, drawing from the same parent pool), and the
    parent's allocations follow: its `available` does not move. One save."""
    giver_tenant = s.tenant(cmd.tenant_id)
    receiver_tenant = check_siblings(giver_tenant, s.find(Tenant, cmd.to_tenant_id))
    giver = contracted_pool(s, giver_tenant, cmd.pool)
    parent = _shared_parent_pool(s, giver_tenant, giver)
    receiver = find_pool(s, receiver_tenant.id, cmd.pool)
    check_draws_from(receiver, parent)
    giver_tenant.check_open()
    receiver_tenant.check_open()
    move = Move.of(giver, receiver, cmd.quantity, s.now)
    giver.set_limit(move.giver_limit, None, s.now)
    if receiver is None:
        receiver = SeatPool.open(
            receiver_tenant.id, cmd.pool, move.receiver_limit, None, parent.id
        )
        receiver_tenant.note_pool(cmd.pool)
    else:
        receiver.set_limit(move.receiver_limit, None, s.now, parent.id)
    parent.move_allocation(giver_tenant.id, receiver_tenant.id, cmd.quantity, s.now)
    transfer = SeatTransfer(
        tenant_id=giver_tenant.id,
        to_tenant_id=receiver_tenant.id,
        pool=cmd.pool,
        quantity=cmd.quantity,
        from_version=giver.version,
        to_version=receiver.version,
    )
    return decided(transfer, giver, receiver, parent, receiver_tenant)


def _shared_parent_pool(s: Session, tenant: Tenant, giver: SeatPool) -> SeatPool:
    parent = parent_pool_of(s, tenant, giver, giver.pool)
    if parent is None:
        raise ValidationFailed(
            f"the pool {giver.pool!r} does not draw from the parent's pool",
            field="pool",
        )
    return parent
