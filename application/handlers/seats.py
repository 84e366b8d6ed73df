"""Seat pools: contracted limits, hierarchical allocation, assignments."""

from __future__ import annotations

from application.decision import Decided, decided
from application.handlers.contracts import schedule_limit
from application.handlers.pools import (
    check_not_members,
    contracted_pool,
    plan_limit,
)
from application.session import Session
from domain.commands import AssignSeat, ReleaseSeat, SetSeatLimit


def set_seat_limit(cmd: SetSeatLimit, s: Session) -> Decided:
    if cmd.effective_at is not None:
        return schedule_limit(cmd, s)
    tenant = s.tenant(cmd.tenant_id)
    tenant.check_open()
    touched = plan_limit(s, tenant, cmd.pool, cmd.limit, cmd.warning_threshold)
    return decided(*touched, tenant)


def assign_seat(cmd: AssignSeat, s: Session) -> Decided:
    tenant = s.tenant(cmd.tenant_id)
    tenant.check_open()
    pool = contracted_pool(s, tenant, cmd.pool)
    check_not_members(cmd.pool)
    pool.assign(cmd.holder_id, s.now)
    return decided(pool)


def release_seat(cmd: ReleaseSeat, s: Session) -> Decided:
    pool = contracted_pool(s, s.tenant(cmd.tenant_id), cmd.pool)
    check_not_members(cmd.pool)
    pool.release(cmd.holder_id, s.now)
    return decided(pool)
