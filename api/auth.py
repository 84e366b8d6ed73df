"""Who is calling (authentication) and what they may do (authorization).

Authentication happens once per request, in the middleware, before the body is
read (401 comes before 422). Authorization is one rule table keyed by action:
routes name their action and target tenant, never a role, so roles and scopes
can grow without touching routes.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from fastapi import Request

from domain.errors import Forbidden, NotFound


class Role(StrEnum):
    OPERATOR = "operator"
    PARTNER = "partner"
    TENANT_ADMIN = "tenant_admin"
    SERVICE = "service"
    AUDITOR = "auditor"
    ANALYST = "analyst"


class Action(StrEnum):
    CREATE_ROOT_TENANT = "create_root_tenant"
    CREATE_SUBTENANT = "create_subtenant"
    MANAGE_CONTRACT = "manage_contract"  # limits, licenses, handover, suspend, close
    MANAGE_TENANT = "manage_tenant"  # rename, logo, assignments, members ...
    APPROVE_ORDERS = "approve_orders"  # approve / reject license orders
    ACCEPT_INVITATION = "accept_invitation"
    READ_STATE = "read_state"
    READ_PROJECTIONS = "read_projections"
    READ_HISTORY = "read_history"


WRITES = {
    Action.CREATE_ROOT_TENANT,
    Action.CREATE_SUBTENANT,
    Action.MANAGE_CONTRACT,
    Action.MANAGE_TENANT,
    Action.APPROVE_ORDERS,
    Action.ACCEPT_INVITATION,
}

# Which roles may take an action at all; scope (own tenant, subtree) is checked
# separately against the target tenant.
RULES: dict[Action, frozenset[Role]] = {
    Action.CREATE_ROOT_TENANT: frozenset({Role.OPERATOR}),
    Action.CREATE_SUBTENANT: frozenset(
        {Role.OPERATOR, Role.PARTNER, Role.TENANT_ADMIN, Role.SERVICE}
    ),
    Action.MANAGE_CONTRACT: frozenset({Role.OPERATOR, Role.PARTNER}),
    Action.MANAGE_TENANT: frozenset(
        {Role.OPERATOR, Role.PARTNER, Role.TENANT_ADMIN, Role.SERVICE}
    ),
    Action.APPROVE_ORDERS: frozenset({Role.OPERATOR, Role.PARTNER}),
    Action.ACCEPT_INVITATION: frozenset(
        {Role.OPERATOR, Role.PARTNER, Role.TENANT_ADMIN, Role.SERVICE}
    ),
    Action.READ_STATE: frozenset(Role),
    Action.READ_PROJECTIONS: frozenset(Role),
    Action.READ_HISTORY: frozenset(Role) - {Role.ANALYST},
}


@dataclass(frozen=True)
class Principal:
    key_id: str
    role: Role
    tenant_id: UUID | None = None

    @property
    def actor(self) -> str:
        return f"key:{self.key_id}"


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


class Authenticator:
    """Resolves a bearer secret to a principal. Secrets are compared as
    digests in constant time and never kept in clear beyond start-up."""

    def __init__(self, operator_key: str) -> None:
        self._operator = _digest(operator_key)

    def authenticate(self, authorization: str | None) -> Principal | None:
        if not authorization or not authorization.lower().startswith("bearer "):
            return None
        secret = authorization[7:].strip()
        if secret and hmac.compare_digest(_digest(secret), self._operator):
            return Principal(key_id="operator", role=Role.OPERATOR)
        return None


def principal(request: Request) -> Principal:
    found: Principal = request.state.principal
    return found


def authorize(who: Principal, action: Action, tenant_id: UUID | None) -> None:
    """403 for a write the key may not make, 404 for a read out of scope."""
    allowed = who.role in RULES[action] and _in_scope(who, tenant_id)
    if allowed:
        return
    if action in WRITES:
        raise Forbidden("this key may not do that here")
    raise NotFound("tenant not found")


def _in_scope(who: Principal, tenant_id: UUID | None) -> bool:
    # Only unscoped operator keys exist so far; scoped keys (partner subtree,
    # own tenant) arrive with the API-key store and extend this check.
    return who.role is Role.OPERATOR or (
        tenant_id is not None and tenant_id == who.tenant_id
    )
