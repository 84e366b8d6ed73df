"""State from the event store: strongly consistent, or as it was at an instant
(rebuilt from the events, no snapshot: an auditor's read must not depend on
one). Every read is scoped first, so a key learns nothing out of its scope."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from application.auth import Action, Principal
from application.ports import AggregateReader
from application.queries.scope import Scope, tenant_seen_by
from application.views import (
    InvitationView,
    MemberView,
    OrderView,
    PoolView,
    TenantView,
    invitation_view,
    member_view,
    order_view,
    pool_view,
    tenant_view,
)
from domain.errors import NotFound
from domain.invitation import Invitation
from domain.license_order import LicenseOrder
from domain.member import Member
from domain.seat_pool import SeatPool, pool_id
from domain.tenant import Tenant

V = TypeVar("V")
A = TypeVar("A", bound=Aggregate)
READ = Action.READ_STATE


@dataclass(frozen=True)
class Found(Generic[V]):
    view: V
    position: int  # of the aggregate's latest event (at the instant read)


class StateReads:
    def __init__(
        self, store: AggregateReader, scope: Scope, clock: Callable[[], datetime]
    ) -> None:
        self.store = store
        self.scope = scope
        self.clock = clock

    def _get(self, cls: type[A], aggregate_id: UUID, at: datetime | None) -> A | None:
        found = (
            self.store.get(aggregate_id)
            if at is None
            else self.store.at(aggregate_id, at)
        )
        return found if isinstance(found, cls) else None

    def _position(self, aggregate: Aggregate) -> int:
        return self.store.position_of(aggregate.id, aggregate.version)

    def _tenant(self, tenant_id: UUID, at: datetime | None) -> Tenant:
        found = self._get(Tenant, tenant_id, at)
        if found is None:
            when = f" at {at.isoformat()}" if at else ""
            raise NotFound(f"tenant not found{when}")
        return found

    def tenant(
        self, who: Principal, tenant_id: UUID, at: datetime | None = None
    ) -> Found[TenantView]:
        self.scope.check(who, READ, tenant_id)
        tenant = self._tenant(tenant_id, at)
        view = tenant_seen_by(who, tenant_view(tenant))
        return Found(view, self._position(tenant))

    def pool(
        self, who: Principal, tenant_id: UUID, slug: str, at: datetime | None = None
    ) -> Found[PoolView]:
        self.scope.check(who, READ, tenant_id)
        self._tenant(tenant_id, at)
        pool = self._get(SeatPool, pool_id(tenant_id, slug), at)
        if pool is None or not pool.contracted:
            when = f" at {at.isoformat()}" if at else ""
            raise NotFound(f"seat pool {slug!r} not found{when}")
        return Found(pool_view(pool, at or self.clock()), self._position(pool))

    def member(
        self,
        who: Principal,
        tenant_id: UUID,
        member_id: UUID,
        at: datetime | None = None,
    ) -> Found[MemberView]:
        self.scope.check(who, READ, tenant_id)
        member = self._get(Member, member_id, at)
        if member is None or member.tenant_id != tenant_id:
            when = f" at {at.isoformat()}" if at else ""
            raise NotFound(f"member not found{when}")
        today = (at or self.clock()).date()
        return Found(member_view(member, today), self._position(member))

    def invitation(self, who: Principal, invitation_id: UUID) -> Found[InvitationView]:
        invitation = self._get(Invitation, invitation_id, None)
        if invitation is None:
            raise NotFound("invitation not found")
        self.scope.check(who, READ, invitation.tenant_id)
        view = invitation_view(invitation, self.clock())
        return Found(view, self._position(invitation))

    def order(self, who: Principal, order_id: UUID) -> Found[OrderView]:
        order = self._get(LicenseOrder, order_id, None)
        if order is None:
            raise NotFound("license order not found")
        self.scope.check(who, READ, order.tenant_id)
        return Found(order_view(order), self._position(order))

    def dashboard_at(
        self, who: Principal, tenant_id: UUID, at: datetime
    ) -> tuple[int, list[Found[PoolView]]]:
        """The dashboard as it was at `at`: the tenant's contracted pools then,
        counted at `at`, and the latest position among the tenant and them."""
        self.scope.check(who, Action.READ_PROJECTIONS, tenant_id)
        tenant = self._tenant(tenant_id, at)
        position = self._position(tenant)
        pools = []
        for slug in sorted(tenant.pools):
            pool = self._get(SeatPool, pool_id(tenant_id, slug), at)
            if pool is None:
                continue  # not expected: a save opens the pool before noting it
            pool_position = self._position(pool)
            position = max(position, pool_position)
            if pool.contracted:  # a pool only tracked is not on the dashboard
                pools.append(Found(pool_view(pool, at), pool_position))
        return position, pools
