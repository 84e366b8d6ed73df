"""The tenants a key may read, searchable and paged (the tenant projection,
filtered in SQL by the one scope rule), each with its current state from the
store and what the key may do there."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from uuid import UUID

from application.auth import Action, Principal, Role
from application.ports import AggregateReader, ProjectionStore
from application.queries.scope import Scope, tenant_seen_by
from application.views import TenantView, tenant_view
from domain.errors import NotFound
from domain.tenant import Tenant
from projections import tenants as tenant_tree
from projections.tenants import Listing, Readable

# What a listing says a key may do per tenant; reading is a given.
OFFERED = (
    Action.MANAGE_TENANT,
    Action.MANAGE_CONTRACT,
    Action.APPROVE_ORDERS,
    Action.MANAGE_KEYS,
    Action.READ_HISTORY,
)
Cursor = tuple[str, str]


@dataclass(frozen=True)
class Listed:
    view: TenantView
    position: int
    actions: list[str]


@dataclass(frozen=True)
class Page:
    tenants: list[Listed]
    after: Cursor | None  # where the next page starts; None at the end


def readable_by(who: Principal) -> Readable | None:
    """Only operator, partner, auditor and analyst keys see a subtree; tenant
    admins and services their own tenant. None: nothing at all."""
    if who.role is Role.OPERATOR:
        return Readable()
    if who.tenant_id is None:
        return Readable() if who.role in (Role.AUDITOR, Role.ANALYST) else None
    if not who.reads_subtree:
        return Readable(root=str(who.tenant_id), subtree=False)
    return Readable(root=str(who.tenant_id))


class TenantListing:
    def __init__(
        self, db: ProjectionStore, store: AggregateReader, scope: Scope
    ) -> None:
        self.db = db
        self.store = store
        self.scope = scope

    def check_parent(self, who: Principal, parent_id: UUID) -> None:
        """A parent out of scope (or unknown) is not found, before anything
        else is told (not even the projection's position)."""
        self.scope.check(who, Action.READ_PROJECTIONS, parent_id)

    def page(
        self, who: Principal, want: Listing, after: Cursor | None, limit: int
    ) -> Page:
        readable = readable_by(who)
        with self.db.read() as tx:
            if want.parent_id and not tenant_tree.exists(tx, want.parent_id):
                raise NotFound("tenant not found")
            rows = (
                tenant_tree.listed(tx, readable, want, after, limit + 1)
                if readable is not None
                else []
            )
        page, more = rows[:limit], len(rows) > limit
        lineage = cache(self.scope.lineage)  # once per tenant per page
        listed = [self._listed(who, UUID(r["tenant_id"]), lineage) for r in page]
        last = (page[-1]["sort_key"], page[-1]["tenant_id"]) if more else None
        return Page(listed, last)

    def _listed(self, who: Principal, tenant_id: UUID, lineage: object) -> Listed:
        tenant = self.store.get(tenant_id)
        if not isinstance(tenant, Tenant):
            raise NotFound("tenant not found")  # in the projection, not stored?
        actions = [
            a.value
            for a in OFFERED
            if who.in_scope(a, tenant_id, lineage)  # type: ignore[arg-type]
        ]
        position = self.store.position_of(tenant.id, tenant.version)
        return Listed(tenant_seen_by(who, tenant_view(tenant)), position, actions)
