"""The monthly billing summary: what a partner invoices its sub-tenants from."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from api.csv_out import csv_response
from api.deps import clock, invalid, principal, projection_position, reads
from api.policy import listed
from api.schemas.contracts import BillingLineOut, BillingOut
from application.auth import Principal
from application.queries.reads import Reads
from projections.billing import month_days

router = APIRouter(
    prefix="/v1/tenants/{tenant_id}/reports",
    tags=["reports"],
    dependencies=[Depends(listed)],
)
# [0-9], not \d: pydantic's regex engine takes any script's digits for \d
# (a full-width "2"), which then reached the CSV file name header: a 500.
MONTH = r"^[0-9]{4}-(0[1-9]|1[0-2])$"


def billing_month(
    month: str | None = Query(
        default=None,
        pattern=MONTH,
        description="`YYYY-MM` (default: the current month, UTC); not in the future",
    ),
    now: datetime = Depends(clock),
) -> str:
    """The month asked for, checked before scope (a 422 comes first)."""
    month = month or now.date().strftime("%Y-%m")
    try:
        first: date = month_days(month)[0]
    except ValueError:
        raise invalid("month", "no such month", month) from None
    if first > now.date():
        raise invalid("month", "the month is in the future", month)
    return month


@router.get(
    "/billing",
    response_model=BillingOut,
    responses={200: {"content": {"text/csv": {}}}},
)
def billing(
    tenant_id: UUID,
    month: str = Depends(billing_month),
    include_subtenants: bool = False,
    format: Literal["json", "csv"] = "json",
    position: int = Depends(projection_position),
    who: Principal = Depends(principal),
    r: Reads = Depends(reads),
) -> BillingOut | Response:
    """Per tenant and pool contracted on a day of the month: `days` (the
    month's UTC days on which it was contracted, up to today), `limit_end`
    and `end_used` (at the month's last instant, or now), `limit_max` and
    `peak_used` (the highest of the month), `seat_days` (the sum over those
    days of each day's peak used) and `average_used` (seat_days / days, two
    decimals). A past month reads as the report read at its end.
    `include_subtenants` needs a key that reads sub-tenants (403 for a
    tenant_admin or service key)."""
    found = r.billing.month(who, tenant_id, month, include_subtenants)
    report = BillingOut(
        tenant_id=tenant_id,
        month=found.month,
        position=position,
        include_subtenants=include_subtenants,
        lines=[
            BillingLineOut(
                tenant_id=UUID(t.tenant_id),
                tenant_name=t.tenant_name,
                pool=t.pool,
                days=t.line.days,
                limit_end=t.line.limit_end,
                limit_max=t.line.limit_max,
                peak_used=t.line.peak_used,
                seat_days=t.line.seat_days,
                average_used=float(t.line.average_used),
                end_used=t.line.end_used,
            )
            for t in found.lines
        ],
    )
    return _csv(report) if format == "csv" else report


def _csv(report: BillingOut) -> Response:
    """Averages with their two decimals, as a bill shows them (`3.50`)."""
    rows = (
        {**line.model_dump(mode="json"), "average_used": f"{line.average_used:.2f}"}
        for line in report.lines
    )
    return csv_response(
        list(BillingLineOut.model_fields),
        rows,
        f"billing-{report.tenant_id}-{report.month}.csv",
        {"X-Position": str(report.position)},
    )
