"""Reports for analysts: active users (future starters included) and the
daily usage history of the seat pools."""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from api.auth import Guard
from api.csv_out import csv_response
from api.deps import container, projection_position
from api.policy import guard
from api.schemas import ActiveUsersOut, ReportMember
from api.usage_history_schemas import UsageHistoryOut
from api.usage_reads import ReportDays, history, report_days
from domain.common import POOL_PATTERN
from domain.errors import NotFound
from infra.bootstrap import Container
from projections import members as members_view
from projections import tenants as tenant_tree

router = APIRouter(prefix="/v1/tenants/{tenant_id}/reports", tags=["reports"])
MAX_MEMBERS = 100_000


@router.get(
    "/active-users",
    response_model=ActiveUsersOut,
    responses={200: {"content": {"text/csv": {}}}},
)
def active_users(
    tenant_id: UUID,
    as_of: date | None = None,
    include_subtenants: bool = False,
    format: Literal["json", "csv"] = "json",
    position: int = Depends(projection_position),
    access: Guard = Depends(guard),
    c: Container = Depends(container),
) -> ActiveUsersOut | Response:
    """Members judged on `as_of` (default today): active status and no end
    date before that day; future starters count. Removed members are left out."""
    access.check(tenant_id)
    day = as_of or c.ledger.clock().date()
    with c.db.read() as tx:
        if include_subtenants:  # the subtree holds the tenant itself, if known
            tenants = [n["tenant_id"] for n in tenant_tree.subtree(tx, str(tenant_id))]
        else:
            tenants = [str(tenant_id)] if tenant_tree.exists(tx, str(tenant_id)) else []
        if not tenants:
            raise NotFound("tenant not found")
        rows = members_view.members_of(tx, tenants, None, None, MAX_MEMBERS)
    members = []
    for row in rows:
        if row["status"] == "removed":
            continue
        counted, reason = members_view.judge(row, day)
        fields = {k: row[k] for k in ReportMember.model_fields if k in row}
        members.append(ReportMember(**fields, counted=counted, reason=reason))
    report = ActiveUsersOut(
        tenant_id=tenant_id,
        as_of=day,
        position=position,
        include_subtenants=include_subtenants,
        active_users=sum(m.counted for m in members),
        future_starters=sum(m.reason == "future_starter" for m in members),
        passive=sum(m.reason == "passive" for m in members),
        ended=sum(m.reason == "ended" for m in members),
        members=members,
    )
    return _csv(report) if format == "csv" else report


@router.get("/usage-history", response_model=UsageHistoryOut)
def usage_history(
    tenant_id: UUID,
    days: ReportDays = Depends(report_days),
    pool: str | None = Query(
        default=None, pattern=POOL_PATTERN, description="only this pool"
    ),
    access: Guard = Depends(guard),
    c: Container = Depends(container),
) -> UsageHistoryOut:
    """Daily peak and end-of-day usage per pool, from `from` to `to` (UTC days,
    at most 366; default the 30 days up to today), derived from the stored
    events: always complete, so it takes no `min_position`. A day's peaks are
    the most at any moment of it; its `end_*` values are judged at its last
    instant (for today: now), so end dates and invitation expiries count.
    Days without events carry the state on; days before a pool's limit was
    first set are left out."""
    access.check(tenant_id)
    return history(c, tenant_id, pool, days)


def _csv(report: ActiveUsersOut) -> Response:
    return csv_response(
        list(ReportMember.model_fields),
        (member.model_dump(mode="json") for member in report.members),
        f"active-users-{report.tenant_id}-{report.as_of}.csv",
        {"X-Position": str(report.position)},
    )
