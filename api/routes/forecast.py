"""A seat pool's forecast: when it reaches its warning threshold and its
limit at the pace of its recent daily peaks."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query

from api.deps import principal, reads, tenant_projection_position
from api.policy import listed
from api.schemas.listing import ForecastOut
from application.auth import Principal
from application.queries.reads import Reads
from domain.common import POOL_PATTERN

router = APIRouter(
    prefix="/v1/tenants/{tenant_id}/seats",
    tags=["seat pools"],
    dependencies=[Depends(listed)],
)


@router.get("/{pool}/forecast", response_model=ForecastOut)
def pool_forecast(
    tenant_id: UUID,
    pool: str = Path(pattern=POOL_PATTERN, description="pool slug, e.g. `members`"),
    basis_days: int = Query(
        default=30, ge=7, le=365, description="days of history the trend is fit to"
    ),
    position: int = Depends(tenant_projection_position),
    who: Principal = Depends(principal),
    r: Reads = Depends(reads),
) -> ForecastOut:
    """A straight line through the daily peaks of `used + reserved +
    allocated` over the last `basis_days` UTC days up to today (days before
    the pool's contract are left out), against the pool's current limit and
    warning threshold. Read from the daily-usage projection, like the usage
    history (pass `min_position` to see a write)."""
    result = r.usage.forecast(who, tenant_id, pool, basis_days)
    return ForecastOut(
        tenant_id=tenant_id,
        pool=pool,
        basis_days=basis_days,
        trend_per_day=result.trend_per_day,
        warning_on=result.warning_on,
        full_on=result.full_on,
        position=position,
    )
