"""Reports for analysts: active users (future starters included) and the
daily usage history of the seat pools."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from api.csv_out import csv_response
from api.deps import (
    clock,
    invalid,
    principal,
    projection_position,
    reads,
    tenant_projection_position,
)
from api.policy import listed
from api.schemas import ActiveUsersOut, ReportMember
from api.usage_history_schemas import DayUsageOut, PoolHistoryOut, UsageHistoryOut
from application.auth import Principal
from application.queries.reads import Reads
from domain.common import POOL_PATTERN

router = APIRouter(
    prefix="/v1/tenants/{tenant_id}/reports",
    tags=["reports"],
    dependencies=[Depends(listed)],
)
MAX_MEMBERS = 100_000
DEFAULT_DAYS = 30
MAX_DAYS = 366


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
    who: Principal = Depends(principal),
    r: Reads = Depends(reads),
) -> ActiveUsersOut | Response:
    """Members judged on `as_of` (default today): active status and no end
    date before that day; future starters count. Removed members are left
    out. `include_subtenants` needs a key that reads sub-tenants (403 for a
    tenant_admin or service key)."""
    day, rows = r.projected.active_users(
        who, tenant_id, as_of, include_subtenants, MAX_MEMBERS
    )
    members = [
        ReportMember(**{k: row[k] for k in ReportMember.model_fields}) for row in rows
    ]
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


@dataclass(frozen=True)
class ReportDays:
    first: date
    last: date
    now: datetime


def report_days(
    first: date | None = Query(
        default=None,
        alias="from",
        description=f"first UTC day (default: {DEFAULT_DAYS - 1} days before `to`)",
    ),
    last: date | None = Query(
        default=None, alias="to", description="last UTC day (default: today)"
    ),
    now: datetime = Depends(clock),
) -> ReportDays:
    last = last or now.date()
    first = first or date.fromordinal(max(1, last.toordinal() - DEFAULT_DAYS + 1))
    if last > now.date():
        raise invalid("to", "the day is in the future", last)
    if first > last:
        raise invalid("from", "`from` is after `to`", first)
    if (last - first) >= timedelta(days=MAX_DAYS):
        raise invalid("from", f"the report covers at most {MAX_DAYS} days", first)
    return ReportDays(first, last, now)


@router.get("/usage-history", response_model=UsageHistoryOut)
def usage_history(
    tenant_id: UUID,
    days: ReportDays = Depends(report_days),
    pool: str | None = Query(
        default=None, pattern=POOL_PATTERN, description="only this pool"
    ),
    position: int = Depends(tenant_projection_position),
    who: Principal = Depends(principal),
    r: Reads = Depends(reads),
) -> UsageHistoryOut:
    """Daily peak and end-of-day usage per pool, from `from` to `to` (UTC days,
    at most 366; default the 30 days up to today), from the daily-usage
    projection (pass `min_position` to see a write). A day's peaks are the
    most at any moment of it; its `end_*` values are judged at its last
    instant (for today: now), so end dates and invitation expiries count.
    Days without events carry the state on; days before a pool's limit was
    first set are left out."""
    found = r.usage.history(who, tenant_id, pool, days.first, days.last)
    return UsageHistoryOut(
        tenant_id=tenant_id,
        from_=days.first,
        to=days.last,
        position=position,
        pools=[
            PoolHistoryOut(
                pool=p.pool, days=[DayUsageOut.model_validate(d) for d in p.days]
            )
            for p in found
        ],
    )


def _csv(report: ActiveUsersOut) -> Response:
    return csv_response(
        list(ReportMember.model_fields),
        (member.model_dump(mode="json") for member in report.members),
        f"active-users-{report.tenant_id}-{report.as_of}.csv",
        {"X-Position": str(report.position)},
    )
