"""Seat pools: contracted limits, hierarchical allocation, assignments."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.commands import AssignSeat, ReleaseSeat, SetSeatLimit
from domain.common import MULTI_TENANT
from domain.errors import InvalidState, LicenseRequired, NotFound
from domain.seat_pool import MEMBERS, SeatPool, pool_id
from domain.tenant import Tenant
from infra.events import CommandContext
from infra.usecases.base import LedgerBase, Outcome, retrying


class SeatCases(LedgerBase):
    def pool(self, tenant_id: UUID, pool: str) -> SeatPool:
        """A contracted pool (a pool only tracked for members is not one yet)."""
        return self._contracted(self.tenant(tenant_id), pool)

    def _contracted(self, tenant: Tenant, pool: str) -> SeatPool:
        found = self._find(SeatPool, pool_id(tenant.id, pool))
        if found is None or not found.contracted:
            raise NotFound(f"seat pool {pool!r} not found")
        return found

    def tracked_pool(self, tenant: Tenant, pool: str) -> SeatPool:
        """The pool, opened without a limit when new: the members pool counts
        members and invitations from the first one, so contracting it later
        starts from what already exists."""
        found = self._find(SeatPool, pool_id(tenant.id, pool))
        if found is None:
            found = SeatPool.open(tenant.id, pool, limit=None)
            tenant.note_pool(pool)
        return found

    @retrying
    def set_seat_limit(self, ctx: CommandContext, cmd: SetSeatLimit) -> Outcome:
        tenant = self.tenant(cmd.tenant_id)
        tenant.check_open()
        touched = self.plan_limit(tenant, cmd.pool, cmd.limit, cmd.warning_threshold)
        return self._outcome(ctx, *touched, tenant)

    def plan_limit(
        self, tenant: Tenant, slug: str, limit: int, threshold: float | None
    ) -> list[Aggregate]:
        """Sets a pool's limit as a partner's contract says: opens the pool
        when new, draws from the parent's pool of the same name when there was
        one at opening. Returns the aggregates to save (the pool first)."""
        now = self.clock()
        pool = self._find(SeatPool, pool_id(tenant.id, slug))
        parent_pool = self._parent_pool(tenant, pool, slug)
        parent_pool_id = parent_pool.id if parent_pool else None
        if pool is None:
            pool = SeatPool.open(tenant.id, slug, limit, threshold, parent_pool_id)
            tenant.note_pool(slug)
        else:
            pool.set_limit(limit, threshold, now, parent_pool_id)
        if parent_pool is not None:
            parent_pool.allocate_to_child(tenant.id, limit, now)
            return [pool, parent_pool]
        return [pool]

    def _parent_pool(
        self, tenant: Tenant, pool: SeatPool | None, slug: str
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
        parent_pool = self._find(SeatPool, parent_pool_id)
        if parent_pool is None or not parent_pool.contracted:
            return None
        parent = self.tenant(parent_pool.tenant_id)
        if not parent.holds(MULTI_TENANT):
            raise LicenseRequired(
                "the parent tenant needs the multi_tenant license to allocate seats",
                feature=MULTI_TENANT,
                tenant_id=str(parent.id),
            )
        return parent_pool

    @retrying
    def assign_seat(self, ctx: CommandContext, cmd: AssignSeat) -> Outcome:
        tenant = self.tenant(cmd.tenant_id)
        tenant.check_open()
        pool = self._contracted(tenant, cmd.pool)
        check_not_members(cmd.pool)
        pool.assign(cmd.holder_id, self.clock())
        return self._outcome(ctx, pool)

    @retrying
    def release_seat(self, ctx: CommandContext, cmd: ReleaseSeat) -> Outcome:
        pool = self.pool(cmd.tenant_id, cmd.pool)
        check_not_members(cmd.pool)
        pool.release(cmd.holder_id, self.clock())
        return self._outcome(ctx, pool)


def check_not_members(pool: str) -> None:
    if pool == MEMBERS:
        raise InvalidState(
            "the members pool's seats follow members and invitations; add, "
            "invite, deactivate or remove members instead",
            pool=pool,
        )
