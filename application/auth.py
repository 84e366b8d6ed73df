"""Who may do what, where: roles, actions, and the one scope rule
(README "Keys, roles and scopes").

Authentication (a secret to a principal) is in application/keys.py; here is
authorization only. Writes are authorized by the command bus (each command's
action comes from the catalogue), reads by the queries; both use `in_scope`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from domain.errors import Forbidden, NotFound


class Role(StrEnum):
    OPERATOR = "operator"
    PARTNER = "partner"
    TENANT_ADMIN = "tenant_admin"
    SERVICE = "service"
    AUDITOR = "auditor"
    ANALYST = "analyst"


class Action(StrEnum):
    CREATE_TENANT = "create_tenant"  # root (operator) or sub-tenant of `target`
    MANAGE_CONTRACT = "manage_contract"  # limits, licenses, handover, suspend, close
    APPROVE_ORDERS = "approve_orders"
    MANAGE_TENANT = "manage_tenant"  # rename, logo, members, invitations, seats
    ACCEPT_INVITATION = "accept_invitation"
    MANAGE_KEYS = "manage_keys"
    # Endpoints and their deliveries, reads included: an endpoint's URL and
    # delivery log are its manager's business, not every reader's.
    MANAGE_WEBHOOKS = "manage_webhooks"
    READ_STATE = "read_state"
    READ_PROJECTIONS = "read_projections"
    READ_HISTORY = "read_history"
    SYSTEM = "system"  # the service's own bookkeeping (expiries, checkpoints)


WRITERS = frozenset({Role.OPERATOR, Role.PARTNER, Role.TENANT_ADMIN, Role.SERVICE})
READS = frozenset({Action.READ_STATE, Action.READ_PROJECTIONS, Action.READ_HISTORY})
# Roles that read a whole subtree; tenant_admin and service read their own
# tenant only, everywhere: "own tenant" is exact for reads too.
SUBTREE_READERS = frozenset({Role.OPERATOR, Role.PARTNER, Role.AUDITOR, Role.ANALYST})

# Which roles may take an action at all; where, is `in_scope`.
RULES: dict[Action, frozenset[Role]] = {
    Action.CREATE_TENANT: WRITERS,
    Action.MANAGE_CONTRACT: frozenset({Role.OPERATOR, Role.PARTNER}),
    Action.APPROVE_ORDERS: frozenset({Role.OPERATOR, Role.PARTNER}),
    Action.MANAGE_TENANT: WRITERS,
    Action.ACCEPT_INVITATION: WRITERS,
    Action.MANAGE_KEYS: frozenset({Role.OPERATOR, Role.PARTNER, Role.TENANT_ADMIN}),
    Action.MANAGE_WEBHOOKS: frozenset({Role.OPERATOR, Role.PARTNER, Role.TENANT_ADMIN}),
    Action.READ_STATE: frozenset(Role),
    Action.READ_PROJECTIONS: frozenset(Role),
    Action.READ_HISTORY: frozenset(Role) - {Role.ANALYST},
    Action.SYSTEM: frozenset({Role.OPERATOR}),
}
# A tenant cannot raise its own limits or approve its own orders: only a
# strict ancestor's partner key (or the operator) may.
ANCESTOR_ONLY = frozenset({Action.MANAGE_CONTRACT, Action.APPROVE_ORDERS})

# The tenant and its ancestors, nearest first ([] when the tenant is unknown).
Lineage = Callable[[UUID], list[UUID]]


@dataclass(frozen=True)
class Principal:
    key_id: str
    role: Role
    tenant_id: UUID | None = None
    # The actor named by the service's own work ("system:..."), not a key.
    label: str | None = None

    @property
    def actor(self) -> str:
        return self.label or f"key:{self.key_id}"

    @property
    def writes(self) -> bool:
        return self.role in WRITERS

    @property
    def reads_subtree(self) -> bool:
        return self.role in SUBTREE_READERS

    def may_see_endpoint(self, include_subtenants: bool) -> bool:
        """A webhook endpoint that sends a subtree's events belongs to the
        subtree: a key that reads its own tenant only may neither see nor
        manage it, whoever created it (its deliveries carry sub-tenants'
        events, and a new URL or secret would hand them over)."""
        return self.reads_subtree or not include_subtenants

    def in_scope(self, action: Action, target: UUID | None, lineage: Lineage) -> bool:
        if self.role not in RULES[action]:
            return False
        if self.role is Role.OPERATOR:
            return True
        if self.tenant_id is None:
            # Only auditors and analysts may be unscoped: they read everything.
            return action in READS and self.role in (Role.AUDITOR, Role.ANALYST)
        if target is None:  # a root tenant, for a scoped key
            return False
        if target == self.tenant_id:
            return action not in ANCESTOR_ONLY
        if self.role is Role.PARTNER or (action in READS and self.reads_subtree):
            return self.tenant_id in lineage(target)[1:]
        return False  # tenant_admin, service: own tenant only

    def may_issue(self, role: str, tenant_id: UUID | None, lineage: Lineage) -> bool:
        """Keys a key may create or revoke: never more than it holds. The
        operator any; a partner non-operator keys in its subtree; a tenant
        admin only tenant_admin and service keys of its own tenant."""
        if self.role is Role.OPERATOR:
            return True
        if role == Role.OPERATOR or not self.in_scope(
            Action.MANAGE_KEYS, tenant_id, lineage
        ):
            return False
        if self.role is Role.PARTNER:
            return True
        return role in (Role.TENANT_ADMIN, Role.SERVICE)


def authorize(
    who: Principal, action: Action, target: UUID | None, lineage: Lineage
) -> None:
    """403 for a write the key may not make; for a read, 404 out of scope (a
    read must not reveal that the tenant exists) and 403 when the key's role
    may not make this read at all (see `refused_read`)."""
    if who.in_scope(action, target, lineage):
        return
    if action in READS:
        raise refused_read(who, action, target, lineage)
    raise Forbidden("this key may not do that here")


def refused_read(
    who: Principal,
    action: Action,
    target: UUID | None,
    lineage: Lineage,
    not_found: str = "tenant not found",
) -> Forbidden | NotFound:
    """Why a key may not read `action` of `target` (None: no tenant named, or
    the key's own): 403 when its role may not do this at all and the key
    reads the tenant's state (so the answer reveals nothing it could not
    see), else 404 as for any tenant out of its scope."""
    if who.role not in RULES[action] and (
        target is None
        or (bool(lineage(target)) and who.in_scope(Action.READ_STATE, target, lineage))
    ):
        return Forbidden(f"a key of role {who.role.value} may not do this")
    return NotFound(not_found)


# The service's own principal for its bookkeeping (cron expiries, audit
# checkpoints): its events name it as their actor.
def system(name: str) -> Principal:
    return Principal(key_id=name, role=Role.OPERATOR, label=f"system:{name}")
