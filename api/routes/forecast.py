"""A seat pool's forecast: when it reaches its warning threshold and its
limit at the pace of its recent daily peaks."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query

from api.auth import Guard
from api.deps import container
from api.policy import guard
from api.schemas.listing import ForecastOut
from api.usage_reads import ReportDays, history
from domain.common import POOL_PATTERN
from infra.bootstrap import Container
from projections.forecast import DayPeak, forecast

router = APIRouter(prefix="/v1/tenants/{tenant_id}/seats", tags=["seat pools"])


@router.get("/{pool}/forecast", response_model=ForecastOut)
def pool_forecast(
    tenant_id: UUID,
    pool: str = Path(pattern=POOL_PATTERN, description="pool slug, e.g. `members`"),
    basis_days: int = Query(
        default=30, ge=7, le=365, description="days of history the trend is fit to"
    ),
    access: Guard = Depends(guard),
    c: Container = Depends(container),
) -> ForecastOut:
    """A straight line through the daily peaks of `used + reserved +
    allocated` over the last `basis_days` UTC days up to today (days before
    the pool's contract are left out), against the pool's current limit and
    warning threshold. Derived from the stored events, like the usage
    history, so it takes no `min_position`."""
    access.check(tenant_id)
    now = c.ledger.clock()
    days = ReportDays(now.date() - timedelta(days=basis_days - 1), now.date(), now)
    report = history(c, tenant_id, pool, days)  # 404 for an unknown pool
    current = c.ledger.pool(tenant_id, pool)
    peaks = [DayPeak(d.day, d.peak_in_use) for d in report.pools[0].days]
    limit = current.limit or 0  # a contracted pool has one
    result = forecast(peaks, limit, current.warning_threshold, now.date())
    return ForecastOut(
        tenant_id=tenant_id,
        pool=pool,
        basis_days=basis_days,
        trend_per_day=result.trend_per_day,
        warning_on=result.warning_on,
        full_on=result.full_on,
        position=report.position,
    )
