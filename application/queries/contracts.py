"""Reads of scheduled contract changes (projection): a pool's list, and the
pending ones the dashboard shows with each pool."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from application.auth import Action, Principal
from application.ports import ProjectionStore
from application.queries.scope import Scope
from domain.errors import NotFound
from projections import contracts
from projections.sql import Tx

READ = Action.READ_PROJECTIONS
Row = dict[str, Any]


class ContractReads:
    def __init__(self, db: ProjectionStore, scope: Scope) -> None:
        self.db = db
        self.scope = scope

    def changes(self, who: Principal, tenant_id: UUID, pool: str) -> list[Row]:
        """Every change scheduled for the pool, by instant (404 for a pool
        the tenant never had)."""
        self.scope.check(who, READ, tenant_id)
        if pool not in self.scope.existing(tenant_id).pools:
            raise NotFound(f"seat pool {pool!r} not found")
        with self.db.read() as tx:
            return contracts.changes_of(tx, str(tenant_id), pool)


def pending_by_pool(tx: Tx, tenant_id: str) -> dict[str, list[Row]]:
    """The tenant's changes still scheduled, by pool."""
    found: dict[str, list[Row]] = {}
    for row in contracts.changes_of(tx, tenant_id, status=contracts.SCHEDULED):
        found.setdefault(row["pool"], []).append(row)
    return found
