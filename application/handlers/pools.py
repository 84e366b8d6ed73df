"""Seat pools as the other handlers need them: contracted, tracked, and a
contract's new limit drawn from the parent's pool."""

from __future__ import annotations

from eventsourcing.domain import Aggregate

from application.session import Session
from domain.common import MULTI_TENANT
from domain.errors import InvalidState, LicenseRequired, NotFound
from domain.seat_pool import MEMBERS, SeatPool, pool_id
from domain.tenant import Tenant


def contracted_pool(s: Session, tenant: Tenant, slug: str) -> SeatPool:
    """A contracted pool (a pool only tracked for members is not one yet)."""
    found = s.find(SeatPool, pool_id(tenant.id, slug))
    if found is None or not found.contracted:
        raise NotFound(f"seat pool {slug!r} not found")
    return found


def tracked_pool(s: Session, tenant: Tenant, slug: str) -> SeatPool:
    """The pool, opened without a limit when new: the members pool counts
    members and invitations from the first one, so contracting it later
    starts from what already exists."""
    found = s.find(SeatPool, pool_id(tenant.id, slug))
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
    pool = s.find(SeatPool, pool_id(tenant.id, slug))
    parent_pool = _parent_pool(s, tenant, pool, slug)
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


def _parent_pool(
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
    parent = s.tenant(parent_pool.tenant_id)
    if not parent.holds(MULTI_TENANT):
        raise LicenseRequired(
            "the parent tenant needs the multi_tenant license to allocate seats",
            feature=MULTI_TENANT,
            tenant_id=str(parent.id),
        )
    return parent_pool


def check_not_members(slug: str) -> None:
    if slug == MEMBERS:
        raise InvalidState(
            "the members pool's seats follow members and invitations; add, "
            "invite, deactivate or remove members instead",
            pool=slug,
        )
