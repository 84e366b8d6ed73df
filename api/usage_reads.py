"""Usage as it was: the dashboard at an instant and each pool's daily history,
rebuilt from the stored events (no projection and no snapshot: a read of the
past must not depend on either being complete)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import cast
from uuid import UUID

from fastapi import Depends, Query, Request

from api.auth import Guard
from api.deps import (
    MinPosition,
    WaitMs,
    container,
    instant_param,
    invalid,
    tenant_projection_position,
)
from api.policy import guard
from api.schemas import PoolOut, UsageOut
from api.usage_history_schemas import DayUsageOut, PoolHistoryOut, UsageHistoryOut
from domain.errors import NotFound
from domain.seat_pool import SeatPool, pool_id
from domain.tenant import Tenant
from infra.bootstrap import Container
from projections.usage_history import PoolEvent, usage_by_day

DEFAULT_DAYS = 30
MAX_DAYS = 366


async def dashboard_position(
    request: Request,
    at: datetime | None = Depends(instant_param),
    min_position: int | None = MinPosition,
    wait_ms: int = WaitMs,
    access: Guard = Depends(guard),
) -> int | None:
    """The projection's position for the live dashboard; None with `at`, which
    reads the store, so it waits for no projection."""
    if at is not None:
        return None
    return await tenant_projection_position(request, min_position, wait_ms, access)


def dashboard_at(c: Container, tenant_id: UUID, at: datetime) -> UsageOut:
    """The dashboard as the projection showed it at `at`: the tenant's pools
    then, counted at `at`. `position` is the latest position among the tenant
    and its pools at `at` (the live one is the projection's, over all tenants)."""
    tenant = c.ledger.at(Tenant, tenant_id, at, "tenant")
    position = c.ledger.position_of(tenant)
    pools = []
    for slug in sorted(tenant.pools):
        try:
            pool = c.ledger.at(SeatPool, pool_id(tenant_id, slug), at, "seat pool")
        except NotFound:
            # Not expected: a save opens the pool before the tenant notes it.
            continue
        pool_position = c.ledger.position_of(pool)
        position = max(position, pool_position)
        if pool.contracted:  # a pool only tracked is not on the dashboard
            pools.append(PoolOut.of(pool, pool_position, at))
    return UsageOut(tenant_id=tenant_id, position=position, pools=pools)


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
    c: Container = Depends(container),
) -> ReportDays:
    now = c.ledger.clock()
    last = last or now.date()
    first = first or date.fromordinal(max(1, last.toordinal() - DEFAULT_DAYS + 1))
    if last > now.date():
        raise invalid("to", "the day is in the future", last)
    if first > last:
        raise invalid("from", "`from` is after `to`", first)
    if (last - first) >= timedelta(days=MAX_DAYS):
        raise invalid("from", f"the report covers at most {MAX_DAYS} days", first)
    return ReportDays(first, last, now)


def history(
    c: Container, tenant_id: UUID, only: str | None, days: ReportDays
) -> UsageHistoryOut:
    """Each contracted pool's days (or only the pool named: 404 when it is
    unknown or only tracked)."""
    tenant = c.ledger.tenant(tenant_id)
    position = c.ledger.position_of(tenant)
    pools = []
    for slug in [only] if only else sorted(tenant.pools):
        current = _contracted(c, tenant, slug)
        if current is None:
            if only:
                raise NotFound(f"seat pool {slug!r} not found")
            continue  # only tracked: not on the dashboard, not here either
        # Read after `current`: every event up to its position is replayed.
        position = max(position, c.ledger.position_of(current))
        pools.append(_days_of(c, current, days))
    return UsageHistoryOut(
        tenant_id=tenant_id,
        from_=days.first,
        to=days.last,
        position=position,
        pools=pools,
    )


def _days_of(c: Container, pool: SeatPool, days: ReportDays) -> PoolHistoryOut:
    # The store types its events loosely; a pool's id yields SeatPool events.
    events = cast(list[PoolEvent], list(c.ledger.events.get(pool.id)))
    rows = usage_by_day(events, days.first, days.last, days.now)
    return PoolHistoryOut(
        pool=pool.pool, days=[DayUsageOut.model_validate(r) for r in rows]
    )


def _contracted(c: Container, tenant: Tenant, slug: str) -> SeatPool | None:
    if slug not in tenant.pools:
        return None
    found = c.ledger.find(SeatPool, pool_id(tenant.id, slug))
    return found if found is not None and found.contracted else None
