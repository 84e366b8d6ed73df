"""Seat pools as the other handlers need them: contracted, tracked, and a
contract's new limit drawn from the parent's pool.

Every pool a handler loads comes through `find_pool`, which first applies
the pool's scheduled contract changes whose instant has come, in the same
save as the command (with the rules of an immediate change at that moment;
a change they refuse fails, and nothing else changes). So a decision never
stands on a contract that should have changed already, whether or not the
scheduler came by.
"""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate

from application.session import Session
from domain.common import MULTI_TENANT
from domain.errors import DomainError, InvalidState, LicenseRequired, NotFound
from domain.scheduled_change import ScheduledChange
from domain.seat_pool import MEMBERS, SeatPool, pool_id
from domain.tenant import Tenant


def find_pool(s: Session, tenant_id: UUID, slug: str) -> SeatPool | None:
    """The pool, its due contract changes applied; None when absent."""
    found = s.find(SeatPool, pool_id(tenant_id, slug))
    if found is not None:
        apply_due_changes(s, found)
    return found


def contracted_pool(s: Session, tenant: Tenant, slug: str) -> SeatPool:
    """A contracted pool (a pool only tracked for members is not one yet)."""
    found = find_pool(s, tenant.id, slug)
    if found is None or not found.contracted:
        raise NotFound(f"seat pool {slug!r} not found")
    return found


def tracked_pool(s: Session, tenant: Tenant, slug: str) -> SeatPool:
    """The pool, opened without a limit when new: the members pool counts
    members and invitations from the first one, so contracting it later
    starts from what already exists."""
    found = find_pool(s, tenant.id, slug)
    if found is None:
        found = SeatPool.open(tenant.id, slug, limit=None)
        tenant.note_pool(slug)
    return found


def members_pool(s: Session, tenant: Tenant) -> SeatPool:
    return tracked_pool(s, tenant, MEMBERS)


def plan_limit(
    s: Session, tenant: Tenant, slug: str, limit: int, threshold: float | None
) -> list[Aggregate]:
    """Sets a pool's limit as a partner's contract says: opens the pool when
    new, draws from the parent's pool of the same name when there was one at
    opening. Returns the aggregates changed (the pool first)."""
    pool = find_pool(s, tenant.id, slug)
    return _set_limit(s, tenant, pool, slug, limit, threshold)


def _set_limit(
    s: Session,
    tenant: Tenant,
    pool: SeatPool | None,
    slug: str,
    limit: int,
    threshold: float | None,
) -> list[Aggregate]:
    """Every rule is checked before anything changes, so a refusal (here, or
    of a scheduled change applied on the way) leaves no partial effect."""
    parent_pool = parent_pool_of(s, tenant, pool, slug)
    if pool is not None:
        pool.check_limit(limit, s.now)
    if parent_pool is not None:
        parent_pool.check_allocation(tenant.id, limit, s.now)
    parent_pool_id = parent_pool.id if parent_pool else None
    if pool is None:
        pool = SeatPool.open(tenant.id, slug, limit, threshold, parent_pool_id)
        tenant.note_pool(slug)
    else:
        pool.set_limit(limit, threshold, s.now, parent_pool_id)
    if parent_pool is not None:
        parent_pool.allocate_to_child(tenant.id, limit, s.now)
        return [pool, parent_pool]
    return [pool]


def parent_pool_of(
    s: Session, tenant: Tenant, pool: SeatPool | None, slug: str
) -> SeatPool | None:
    """The parent's pool this one draws from: fixed when it is contracted."""
    if pool is not None and pool.contracted:
        parent_pool_id = pool.parent_pool_id
    elif tenant.parent_id is not None:
        parent_pool_id = pool_id(tenant.parent_id, slug)
    else:
        return None
    if parent_pool_id is None:
        return None
    parent_pool = s.find(SeatPool, parent_pool_id)
    if parent_pool is None or not parent_pool.contracted:
        return None
    apply_due_changes(s, parent_pool)
    parent = s.tenant(parent_pool.tenant_id)
    if not parent.holds(MULTI_TENANT):
        raise LicenseRequired(
            "the parent tenant needs the multi_tenant license to allocate seats",
            feature=MULTI_TENANT,
            tenant_id=str(parent.id),
        )
    return parent_pool


def apply_due_changes(s: Session, pool: SeatPool) -> None:
    """Applies the pool's scheduled changes whose instant has come, earliest
    first, each judged at this moment like an immediate change; one that is
    refused fails with the reason. What this changes is saved with the
    command that loaded the pool (Session.touch)."""
    for change_id in pool.due_changes(s.now):
        change = s.load(ScheduledChange, UUID(change_id), "scheduled change")
        tenant = s.tenant(pool.tenant_id)
        try:
            tenant.check_open()
            slug = pool.pool
            touched = _set_limit(
                s, tenant, pool, slug, change.limit, change.warning_threshold
            )
        except DomainError as refused:
            change.fail(refused.code, refused.detail, s.now)
            touched = []
        else:
            change.apply(s.now)
        pool.settle_change(change.id)
        s.touch(change, pool, tenant, *touched)


def check_not_members(slug: str) -> None:
    if slug == MEMBERS:
        raise InvalidState(
            "the members pool's seats follow members and invitations; add, "
            "invite, deactivate or remove members instead",
            pool=slug,
        )
