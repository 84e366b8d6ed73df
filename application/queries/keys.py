"""The API keys a key may manage (`GET /v1/api-keys`): exactly those it may
revoke, by the rule that decides revocations (Principal.may_issue), so the
list can never show a key the caller could not act on. Never a secret."""

from __future__ import annotations

from functools import cache
from typing import Any
from uuid import UUID

from application.auth import Action, Principal, Role, refused_read
from application.ports import ProjectionStore
from application.queries.scope import Scope
from projections import api_keys

MANAGE = Action.MANAGE_KEYS
Row = dict[str, Any]


class KeyReads:
    def __init__(self, db: ProjectionStore, scope: Scope) -> None:
        self.db = db
        self.scope = scope

    def check(self, who: Principal, tenant_id: UUID | None) -> None:
        """Scope first: `tenant_id` (or, without one, the key's own tenant)
        must be where the key manages keys; 404 out of scope as for every
        read, 403 for a role that manages no keys (`refused_read`); an
        operator's unknown tenant is not found either."""
        lineage = self.scope.lineage
        if tenant_id is None:
            if not who.in_scope(MANAGE, who.tenant_id, lineage):
                raise refused_read(
                    who, MANAGE, None, lineage, "this key manages no keys"
                )
            return
        if not who.in_scope(MANAGE, tenant_id, lineage):
            raise refused_read(who, MANAGE, tenant_id, lineage)
        self.scope.existing(tenant_id)

    def keys(self, who: Principal, tenant_id: UUID | None) -> list[Row]:
        """`tenant_id`'s keys, or all the key may manage, each one the key
        may revoke; oldest first."""
        self.check(who, tenant_id)
        with self.db.read() as tx:
            rows = api_keys.keys_of(tx, *self._narrowed(who, tenant_id))
        lineage = cache(self.scope.lineage)  # once per tenant per list
        return [r for r in rows if who.may_issue(r["role"], _uuid(r), lineage)]

    @staticmethod
    def _narrowed(who: Principal, tenant_id: UUID | None) -> tuple[str | None, bool]:
        """What to read: the tenant asked for alone, else the key's whole
        manageable scope (a partner's subtree, a tenant admin's tenant,
        everything for the operator). may_issue then has the last word."""
        if tenant_id is not None:
            return str(tenant_id), False
        if who.tenant_id is None:
            return None, False  # the operator: every key
        return str(who.tenant_id), who.role is Role.PARTNER


def _uuid(row: Row) -> UUID | None:
    return UUID(row["tenant_id"]) if row["tenant_id"] else None
