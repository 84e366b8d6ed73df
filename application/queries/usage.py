"""Each pool's daily usage, derived from its stored events (always complete:
no projection has to catch up)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import cast
from uuid import UUID

from application.auth import Action, Principal
from application.ports import AggregateReader
from application.queries.scope import Scope
from domain.errors import NotFound
from domain.seat_pool import SeatPool, pool_id
from domain.tenant import Tenant
from projections.forecast import DayPeak, Forecast, forecast
from projections.usage_history import DayUsage, PoolEvent, usage_by_day


@dataclass(frozen=True)
class PoolDays:
    pool: str
    days: list[DayUsage]


@dataclass(frozen=True)
class UsageHistory:
    position: int  # every event of the tenant and its reported pools up to it
    pools: list[PoolDays]


class UsageReads:
    def __init__(self, store: AggregateReader, scope: Scope) -> None:
        self.store = store
        self.scope = scope

    def history(
        self,
        who: Principal,
        tenant_id: UUID,
        only: str | None,
        first: date,
        last: date,
        now: datetime,
    ) -> UsageHistory:
        """Each contracted pool's days (or only the pool named: 404 when it
        is unknown or only tracked)."""
        self.scope.check(who, Action.READ_PROJECTIONS, tenant_id)
        tenant = self.scope.existing(tenant_id)
        position = self.store.position_of(tenant.id, tenant.version)
        pools = []
        for slug in [only] if only else sorted(tenant.pools):
            current = self._contracted(tenant, slug)
            if current is None:
                if only:
                    raise NotFound(f"seat pool {slug!r} not found")
                continue  # only tracked: not on the dashboard, not here either
            # Read after `current`: every event up to its position is replayed.
            position = max(
                position, self.store.position_of(current.id, current.version)
            )
            events = cast(list[PoolEvent], list(self.store.history(current.id)))
            pools.append(PoolDays(slug, usage_by_day(events, first, last, now)))
        return UsageHistory(position, pools)

    def forecast(
        self, who: Principal, tenant_id: UUID, slug: str, basis_days: int, now: datetime
    ) -> tuple[Forecast, int]:
        """When the pool reaches its warning threshold and its limit, at the
        pace of its daily peaks over the last `basis_days` days; and the
        position the forecast covers."""
        first = now.date() - timedelta(days=basis_days - 1)
        found = self.history(who, tenant_id, slug, first, now.date(), now)
        current = self._contracted(self.scope.existing(tenant_id), slug)
        assert current is not None  # history() found it contracted
        peaks = [DayPeak(d.day, d.peak_in_use) for d in found.pools[0].days]
        limit = current.limit or 0
        result = forecast(peaks, limit, current.warning_threshold, now.date())
        return result, found.position

    def _contracted(self, tenant: Tenant, slug: str) -> SeatPool | None:
        if slug not in tenant.pools:
            return None
        found = self.store.get(pool_id(tenant.id, slug))
        return found if isinstance(found, SeatPool) and found.contracted else None
