"""The monthly billing summary (docs/http.md "Reads"): per tenant and contracted
pool, its days, limits and seats of a month, from the daily-usage projection.

A month in the past reads only that month's days, each judged as it ended,
so asking for it later answers what the report said at the month's end."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from application.auth import Action, Principal
from application.ports import ProjectionStore
from application.queries.scope import Scope
from domain.errors import NotFound, ValidationFailed
from projections import tenants as tenant_tree
from projections.billing import BillingLine, month_days, summaries
from projections.daily_read import contracted_pools
from projections.sql import Tx

READ = Action.READ_PROJECTIONS


@dataclass(frozen=True)
class TenantLine:
    tenant_id: str
    tenant_name: str
    pool: str
    line: BillingLine


@dataclass(frozen=True)
class Billing:
    month: str
    lines: list[TenantLine]


class BillingReads:
    def __init__(
        self, db: ProjectionStore, scope: Scope, clock: Callable[[], datetime]
    ) -> None:
        self.db = db
        self.scope = scope
        self.clock = clock

    def month(
        self,
        who: Principal,
        tenant_id: UUID,
        month: str | None,
        include_subtenants: bool,
    ) -> Billing:
        """One line per tenant and pool contracted on a day of the month (up
        to today); sub-tenants' only for a key that reads subtrees (403)."""
        self.scope.check(who, READ, tenant_id)
        if include_subtenants:
            self.scope.check_subtree_reader(who)
        now = self.clock()
        month = month or now.date().strftime("%Y-%m")
        first, last = _month(month)
        with self.db.read() as tx:
            names = _tenants(tx, str(tenant_id), include_subtenants)
            pools = contracted_pools(tx, list(names))
            found = summaries(tx, pools, first, last, now)
        lines = [
            TenantLine(p.tenant_id, names[p.tenant_id], p.slug, found[p.pool])
            for p in pools
            if p.pool in found
        ]
        return Billing(month, lines)


def _month(month: str) -> tuple[date, date]:
    """The route checked the month; a caller that did not hears it here."""
    try:
        return month_days(month)
    except ValueError:
        raise ValidationFailed(
            f"{month!r} is not a month (YYYY-MM)", field="month"
        ) from None


def _tenants(tx: Tx, tenant_id: str, subtree: bool) -> dict[str, str]:
    """tenant id -> name: the tenant, and its descendants when asked."""
    nodes = tenant_tree.subtree(tx, tenant_id)
    if not nodes:
        raise NotFound("tenant not found")
    if not subtree:
        nodes = nodes[:1]
    return {n["tenant_id"]: n["name"] for n in nodes}
