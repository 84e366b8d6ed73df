"""Who is calling (authentication) and what they may do (authorization).

Authentication happens once per request, in the middleware, before the body
is read (401 comes before 422). Authorization is one rule table keyed by
action plus one scope rule; routes name no action themselves: the route table
in api/policy.py does, so a route without a rule is refused (and fails the
isolation test).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
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
    CREATE_TENANT = "create_tenant"  # root (operator) or sub-tenant of `target`
    MANAGE_CONTRACT = "manage_contract"  # limits, licenses, handover, suspend, close
    APPROVE_ORDERS = "approve_orders"
    MANAGE_TENANT = "manage_tenant"  # rename, logo, members, invitations, seats
    ACCEPT_INVITATION = "accept_invitation"
    MANAGE_KEYS = "manage_keys"
    READ_STATE = "read_state"
    READ_PROJECTIONS = "read_projections"
    READ_HISTORY = "read_history"
    PER_COMMAND = "per_command"  # POST /v1/commands: each command's own rule


WRITERS = frozenset({Role.OPERATOR, Role.PARTNER, Role.TENANT_ADMIN, Role.SERVICE})
READS = frozenset({Action.READ_STATE, Action.READ_PROJECTIONS, Action.READ_HISTORY})

# Which roles may take an action at all (API.md "Keys"); where, is `in_scope`.
RULES: dict[Action, frozenset[Role]] = {
    Action.CREATE_TENANT: WRITERS,
    Action.MANAGE_CONTRACT: frozenset({Role.OPERATOR, Role.PARTNER}),
    Action.APPROVE_ORDERS: frozenset({Role.OPERATOR, Role.PARTNER}),
    Action.MANAGE_TENANT: WRITERS,
    Action.ACCEPT_INVITATION: WRITERS,
    Action.MANAGE_KEYS: frozenset({Role.OPERATOR, Role.PARTNER, Role.TENANT_ADMIN}),
    Action.READ_STATE: frozenset(Role),
    Action.READ_PROJECTIONS: frozenset(Role),
    Action.READ_HISTORY: frozenset(Role) - {Role.ANALYST},
    Action.PER_COMMAND: frozenset(Role),
}
# A tenant cannot raise its own limits or approve its own orders: only a
# strict ancestor's partner key (or the operator) may.
ANCESTOR_ONLY = frozenset({Action.MANAGE_CONTRACT, Action.APPROVE_ORDERS})


def _no_lineage(tenant_id: UUID) -> list[UUID]:
    return []


@dataclass(frozen=True)
class Principal:
    key_id: str
    role: Role
    tenant_id: UUID | None = None
    # The tenant and its ancestors, nearest first ([] when unknown).
    lineage: Callable[[UUID], list[UUID]] = field(
        default=_no_lineage, compare=False, repr=False
    )

    @property
    def actor(self) -> str:
        return f"key:{self.key_id}"

    def in_scope(self, action: Action, target: UUID | None) -> bool:
        if self.role not in RULES[action]:
            return False
        if self.role is Role.OPERATOR:
            return True
        if self.tenant_id is None:
            # Only auditors and analysts may be unscoped: they read everything.
            return action in READS and self.role in (Role.AUDITOR, Role.ANALYST)
        if target is None:  # a root tenant, an unscoped key
            return False
        chain = self.lineage(target)
        if self.role is Role.PARTNER or (
            action in READS
            and self.role
            in (
                Role.AUDITOR,
                Role.ANALYST,
            )
        ):
            if action in ANCESTOR_ONLY:
                return self.tenant_id in chain[1:]
            return self.tenant_id in chain
        return target == self.tenant_id  # tenant_admin, service: own tenant

    def may_issue(self, role: str, tenant_id: UUID | None) -> bool:
        """Keys a key may create or revoke: the operator any; a partner for its
        subtree; a tenant admin for its own tenant, not operator or partner."""
        if self.role is Role.OPERATOR:
            return True
        if role == Role.OPERATOR or not self.in_scope(Action.MANAGE_KEYS, tenant_id):
            return False
        return self.role is Role.PARTNER or role != Role.PARTNER


def authorize(who: Principal, action: Action, target: UUID | None) -> None:
    """403 for a write the key may not make, 404 for a read out of scope."""
    if who.in_scope(action, target):
        return
    if action in READS:
        raise NotFound("tenant not found")
    raise Forbidden("this key may not do that here")


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


class Authenticator:
    """Resolves a bearer secret to a principal: the bootstrap operator key
    (compared as digests in constant time) or a stored API key, looked up in
    the store on every request so a revocation takes effect at once."""

    def __init__(
        self,
        operator_key: str,
        find_key: Callable[[str], object | None],
        lineage: Callable[[UUID], list[UUID]],
    ) -> None:
        self._operator = _digest(operator_key)
        self._find_key = find_key
        self._lineage = lineage

    def authenticate(self, authorization: str | None) -> Principal | None:
        if not authorization or not authorization.lower().startswith("bearer "):
            return None
        secret = authorization[7:].strip()
        if not secret or len(secret) > 200:
            return None
        if hmac.compare_digest(_digest(secret), self._operator):
            return Principal("operator", Role.OPERATOR, lineage=self._lineage)
        key = self._find_key(secret)
        if key is None:
            return None
        return Principal(
            key_id=str(key.id),  # type: ignore[attr-defined]
            role=Role(key.role),  # type: ignore[attr-defined]
            tenant_id=key.tenant_id,  # type: ignore[attr-defined]
            lineage=self._lineage,
        )


def principal(request: Request) -> Principal:
    found: Principal = request.state.principal
    return found


@dataclass(frozen=True)
class Guard:
    """The calling key and the action of the route it called."""

    who: Principal
    action: Action | None
    # Targets already allowed in this request: a projection read is checked
    # before waiting for min_position and again by its route, and each check
    # walks the tenant's ancestors in the store.
    allowed: set[UUID | None] = field(default_factory=set, compare=False)

    def check(self, target: UUID | None) -> None:
        if self.action is None:
            # Deny by default: a route nobody gave a rule is nobody's.
            raise Forbidden("this route has no authorization rule")
        if target in self.allowed:
            return
        authorize(self.who, self.action, target)
        self.allowed.add(target)
