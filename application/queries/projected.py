"""Reads of the projections (eventually consistent read models): dashboards,
the tree, holders, members, invitations, orders, the active-users report.
Each is scoped first; callers wait for `min_position` with `position()`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from uuid import UUID

from application.auth import Action, Principal
from application.ports import ProjectionStore
from application.queries.contracts import pending_by_pool
from application.queries.scope import Scope
from domain.errors import NotFound
from projections import members as members_view
from projections import orders as orders_view
from projections import tenants as tenant_tree
from projections import usage

READ = Action.READ_PROJECTIONS
Row = dict[str, Any]


class ProjectedReads:
    def __init__(
        self,
        db: ProjectionStore,
        scope: Scope,
        clock: Callable[[], datetime],
        applied: Callable[[str | None], int],
    ) -> None:
        self.db = db
        self.scope = scope
        self.clock = clock
        self._applied = applied

    def position(self, tenant_id: UUID | None = None) -> int:
        """Every event at or below it is in the projections (for the tenant's
        own rows, or for all)."""
        return self._applied(str(tenant_id) if tenant_id else None)

    def check(self, who: Principal, tenant_id: UUID) -> None:
        self.scope.check(who, READ, tenant_id)

    def usage(self, who: Principal, tenant_id: UUID) -> list[Row]:
        self.check(who, tenant_id)
        with self.db.read() as tx:
            pools = usage.pools_of(tx, str(tenant_id), self.clock())
            if not pools and not tenant_tree.exists(tx, str(tenant_id)):
                raise NotFound("tenant not found")
            pending = pending_by_pool(tx, str(tenant_id))
        for pool in pools:
            pool["scheduled"] = pending.get(pool["pool"], [])
        return pools

    def tree(self, who: Principal, tenant_id: UUID) -> list[Row]:
        """The tenant and its descendants (the tenant alone for a key that
        reads its own tenant only), each with its pools."""
        self.check(who, tenant_id)
        now = self.clock()
        with self.db.read() as tx:
            nodes = tenant_tree.subtree(tx, str(tenant_id))
            if not who.reads_subtree:
                nodes = nodes[:1]
            if not nodes:
                raise NotFound("tenant not found")
            for node in nodes:
                node["pools"] = usage.pools_of(tx, node["tenant_id"], now)
        return nodes

    def holders(
        self, who: Principal, tenant_id: UUID, pool: str, after: str | None, limit: int
    ) -> list[Row]:
        self.check(who, tenant_id)
        with self.db.read() as tx:
            if not any(
                p["pool"] == pool
                for p in usage.pools_of(tx, str(tenant_id), self.clock())
            ):
                raise NotFound(f"seat pool {pool!r} not found")
            return usage.holders_of(tx, str(tenant_id), pool, after, limit)

    def members(
        self,
        who: Principal,
        tenant_id: UUID,
        status: str | None,
        after: UUID | None,
        limit: int,
    ) -> list[Row]:
        self.check(who, tenant_id)
        self.scope.existing(tenant_id)
        today = self.clock().date()
        with self.db.read() as tx:
            rows = members_view.members_of(
                tx, [str(tenant_id)], status, str(after) if after else None, limit
            )
        for row in rows:
            row["counts_as_active"] = members_view.judge(row, today)[0]
        return rows

    def invitations(
        self,
        who: Principal,
        tenant_id: UUID,
        status: str | None,
        after: UUID | None,
        limit: int,
    ) -> list[Row]:
        self.check(who, tenant_id)
        self.scope.existing(tenant_id)
        after_key = str(after) if after else None
        with self.db.read() as tx:
            return members_view.invitations_of(
                tx, str(tenant_id), status, self.clock(), after_key, limit
            )

    def orders(
        self,
        who: Principal,
        tenant_id: UUID,
        status: str | None,
        after: UUID | None,
        limit: int,
    ) -> list[Row]:
        self.check(who, tenant_id)
        self.scope.existing(tenant_id)
        after_key = str(after) if after else None
        with self.db.read() as tx:
            return orders_view.orders_of(tx, str(tenant_id), status, after_key, limit)

    def active_users(
        self,
        who: Principal,
        tenant_id: UUID,
        day: date | None,
        include_subtenants: bool,
        max_rows: int,
    ) -> tuple[date, list[Row]]:
        """Members judged on `day` (default today), removed ones left out;
        with sub-tenants only for a key that reads subtrees (else 403)."""
        self.check(who, tenant_id)
        if include_subtenants:
            self.scope.check_subtree_reader(who)
        day = day or self.clock().date()
        with self.db.read() as tx:
            if include_subtenants:  # the subtree holds the tenant, if known
                ids = [n["tenant_id"] for n in tenant_tree.subtree(tx, str(tenant_id))]
            else:
                ids = [str(tenant_id)] if tenant_tree.exists(tx, str(tenant_id)) else []
            if not ids:
                raise NotFound("tenant not found")
            rows = members_view.members_of(tx, ids, None, None, max_rows)
        report = []
        for row in rows:
            if row["status"] == "removed":
                continue
            row["counted"], row["reason"] = members_view.judge(row, day)
            report.append(row)
        return day, report
