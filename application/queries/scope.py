"""The one scope rule for every read: which tenants a key may see.

A read names a tenant, or none (then it covers what the key may read). The
operator and unscoped auditors and analysts read everything; partners,
auditors and analysts of a tenant read its subtree; tenant_admin and
service keys read their own tenant and nothing of its sub-tenants, anywhere
(README "Keys, roles and scopes"). Lineage and subtrees come from the store,
so a tenant made a moment ago is in scope at once.

What a read shows of a tenant it may read follows the same rule: a key
confined to its own tenant is told of no sub-tenant there either, neither in
the tenant's `children` nor by the events of its history that name one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from uuid import UUID

from application.auth import Action, Principal, authorize
from application.ports import AggregateReader
from application.views import TenantView, View
from domain.errors import Forbidden, NotFound
from domain.tenant import Tenant

# Payload fields by which an event names a tenant other than the one it
# belongs to: the sub-tenant attached (SubTenantAttached), the sub-tenant a
# parent pool's seats go to (SeatAllocatedToChild), the sibling a transfer's
# seats go to (SeatsTransferred). Not `parent_id` (TenantCreated): a tenant's
# own state names its parent to every key that reads the tenant.
NAMES_ANOTHER_TENANT = ("child_id", "child_tenant_id", "to_tenant_id")


class Scope:
    def __init__(self, reader: AggregateReader) -> None:
        self.reader = reader

    def tenant(self, tenant_id: UUID) -> Tenant | None:
        found = self.reader.get(tenant_id)
        return found if isinstance(found, Tenant) else None

    def lineage(self, tenant_id: UUID) -> list[UUID]:
        """The tenant and its ancestors, nearest first; [] when unknown."""
        chain: list[UUID] = []
        current: UUID | None = tenant_id
        while current is not None and current not in chain:
            tenant = self.tenant(current)
            if tenant is None:
                return chain
            chain.append(current)
            current = tenant.parent_id
        return chain

    def check(self, who: Principal, action: Action, tenant_id: UUID | None) -> None:
        """404 when the key may not read the tenant (existence not revealed)."""
        authorize(who, action, tenant_id, self.lineage)

    def existing(self, tenant_id: UUID) -> Tenant:
        found = self.tenant(tenant_id)
        if found is None:
            raise NotFound("tenant not found")
        return found

    def subtree(self, root: UUID) -> list[UUID]:
        """The tenant and all its descendants, breadth first (NotFound when
        the tenant is unknown)."""
        found = [self.existing(root).id]
        for tenant_id in found:  # grows as children are found
            tenant = self.tenant(tenant_id)
            children = tenant.children if tenant is not None else []
            found.extend(c for c in children if c not in found)
        return found

    def covered(
        self, who: Principal, action: Action, tenant_id: UUID | None, subtree: bool
    ) -> set[str] | None:
        """The tenants a read covers (None: every tenant, events of no tenant
        included). Without a tenant: all the key may read. With one: that
        tenant, and its descendants when `subtree` and the key reads
        subtrees (a tenant_admin or service key sees its tenant alone)."""
        if tenant_id is None:
            self.check(who, action, who.tenant_id)
            if who.tenant_id is None:
                return None
            tenant_id, subtree = who.tenant_id, True
        else:
            self.check(who, action, tenant_id)
        if subtree and who.reads_subtree:
            return {str(t) for t in self.subtree(tenant_id)}
        self.existing(tenant_id)
        return {str(tenant_id)}

    @staticmethod
    def check_subtree_reader(who: Principal) -> None:
        """Asking for sub-tenants' data explicitly: 403 for a key confined to
        its own tenant (it may know they exist; it may not read them)."""
        if not who.reads_subtree:
            raise Forbidden("this key reads its own tenant only, not sub-tenants")


def tenant_seen_by(who: Principal, view: TenantView) -> TenantView:
    """A tenant as the key may see it: its `children` are empty for a key
    that reads its own tenant only (README "Keys, roles and scopes"), since
    they are sub-tenants it may not read; a key that reads subtrees reads
    them all, so it sees the tenant as it is."""
    if who.reads_subtree:
        return view
    return replace(view, children=())


def seen_by(who: Principal, view: View | None) -> View | None:
    """Any view a command answers with, as the key may see it (only a
    tenant's view names tenants the key may not read)."""
    return tenant_seen_by(who, view) if isinstance(view, TenantView) else view


def event_shown(
    who: Principal, covered: set[str] | None, payload: Mapping[str, Any]
) -> bool:
    """Whether an event of a tenant the read covers is shown to the key.

    A key that reads its own tenant only is not shown the events of that
    tenant that name a tenant it does not cover (a sub-tenant attached or
    given seats, a sibling given seats). They are left out, not redacted: a
    redacted SeatAllocatedToChild still tells that a sub-tenant exists and
    its limit, and redacted SubTenantAttached events how many there are.
    A key that reads subtrees is shown every event of what it covers, as
    stored."""
    if covered is None or who.reads_subtree:
        return True
    return names_only(payload, covered)


def names_only(payload: Mapping[str, Any], tenants: set[str]) -> bool:
    """Whether every tenant an event's payload names is one of these."""
    named = (payload.get(field) for field in NAMES_ANOTHER_TENANT)
    return all(str(tenant) in tenants for tenant in named if tenant is not None)
