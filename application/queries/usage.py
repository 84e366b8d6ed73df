"""Each pool's daily usage, read from the daily-usage projection (kept as the
events arrive, projections/daily.py): a report over a year of history costs
a range read of its rows, not a replay of every event of every pool."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID

from application.auth import Action, Principal
from application.ports import AggregateReader, ProjectionStore
from application.queries.scope import Scope
from domain.errors import NotFound
from domain.seat_pool import SeatPool, pool_id
from projections.daily_read import Day, contracted_pools, days_of
from projections.forecast import DayPeak, Forecast, forecast

READ = Action.READ_PROJECTIONS


@dataclass(frozen=True)
class PoolDays:
    pool: str
    days: list[Day]


class UsageReads:
    def __init__(
        self,
        db: ProjectionStore,
        store: AggregateReader,
        scope: Scope,
        clock: Callable[[], datetime],
    ) -> None:
        self.db = db
        self.store = store
        self.scope = scope
        self.clock = clock

    def history(
        self,
        who: Principal,
        tenant_id: UUID,
        only: str | None,
        first: date,
        last: date,
    ) -> list[PoolDays]:
        """Each contracted pool's days (or only the pool named: 404 when it
        is unknown or only tracked)."""
        self.scope.check(who, READ, tenant_id)
        self.scope.existing(tenant_id)
        with self.db.read() as tx:
            pools = contracted_pools(tx, [str(tenant_id)])
            if only is not None:
                pools = [p for p in pools if p.slug == only]
                if not pools:
                    raise NotFound(f"seat pool {only!r} not found")
            found = days_of(tx, [p.pool for p in pools], first, last, self.clock())
        return [PoolDays(p.slug, found[p.pool]) for p in pools]

    def forecast(
        self, who: Principal, tenant_id: UUID, slug: str, basis_days: int
    ) -> Forecast:
        """When the pool reaches its warning threshold and its limit, at the
        pace of its daily peaks over the last `basis_days` days, against its
        contract as it is now."""
        today = self.clock().date()
        first = today - timedelta(days=basis_days - 1)
        [found] = self.history(who, tenant_id, slug, first, today)
        current = self.store.get(pool_id(tenant_id, slug))
        if not isinstance(current, SeatPool) or not current.contracted:
            raise NotFound(f"seat pool {slug!r} not found")
        peaks = [DayPeak(d.day, d.peak_in_use) for d in found.days]
        return forecast(peaks, current.limit or 0, current.warning_threshold, today)
