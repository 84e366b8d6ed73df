"""SeatPool: one contracted quota of one tenant, the consistency boundary for it."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.common import DEFAULT_WARNING_THRESHOLD, UsageLevel, derive_id, level_for
from domain.errors import (
    AlreadyAssigned,
    LimitBelowUsage,
    NotFound,
    QuotaExhausted,
    ValidationFailed,
)


def pool_id(tenant_id: UUID, pool: str) -> UUID:
    return derive_id("pool", tenant_id, pool)


class SeatPool(Aggregate):
    @staticmethod
    def create_id(
        tenant_id: UUID,
        pool: str,
        limit: int,
        warning_threshold: float,
        parent_pool_id: UUID | None,
    ) -> UUID:
        return pool_id(tenant_id, pool)

    @event("SeatPoolOpened")
    def __init__(
        self,
        tenant_id: UUID,
        pool: str,
        limit: int,
        warning_threshold: float,
        parent_pool_id: UUID | None,
    ) -> None:
        self.tenant_id = tenant_id
        self.pool = pool
        self.limit = limit
        self.warning_threshold = warning_threshold
        # Set once, at opening: a pool that drew from its parent keeps doing so.
        self.parent_pool_id = parent_pool_id
        self.holders: dict[str, bool] = {}
        self.reservations: dict[str, bool] = {}
        self.allocations: dict[str, int] = {}
        # Opening records no UsageLevelChanged; later crossings do. A plain
        # string, so a snapshot (JSON) rebuilds exactly the same state.
        self.level: str = self.current_level.value

    @classmethod
    def open(
        cls,
        tenant_id: UUID,
        pool: str,
        limit: int,
        warning_threshold: float | None = None,
        parent_pool_id: UUID | None = None,
    ) -> SeatPool:
        return cls(
            tenant_id=tenant_id,
            pool=pool,
            limit=limit,
            warning_threshold=warning_threshold or DEFAULT_WARNING_THRESHOLD,
            parent_pool_id=parent_pool_id,
        )

    @property
    def used(self) -> int:
        return len(self.holders)

    @property
    def reserved(self) -> int:
        return len(self.reservations)

    @property
    def allocated(self) -> int:
        return sum(self.allocations.values())

    @property
    def in_use(self) -> int:
        return self.used + self.reserved + self.allocated

    @property
    def available(self) -> int:
        return self.limit - self.in_use

    @property
    def utilization(self) -> float:
        return 1.0 if self.limit == 0 else self.in_use / self.limit

    @property
    def current_level(self) -> UsageLevel:
        return level_for(self.utilization, self.warning_threshold)

    def set_limit(self, limit: int, warning_threshold: float | None = None) -> None:
        if limit < self.in_use:
            raise LimitBelowUsage(
                f"{self.in_use} seats are in use; the limit cannot go below that",
                limit=limit,
                in_use=self.in_use,
            )
        threshold = warning_threshold or self.warning_threshold
        if limit != self.limit or threshold != self.warning_threshold:
            self._set_limit(limit, threshold)
            self._record_level()

    @event("SeatLimitSet")
    def _set_limit(self, limit: int, warning_threshold: float) -> None:
        self.limit = limit
        self.warning_threshold = warning_threshold

    def allocate_to_child(self, child_tenant_id: UUID, limit: int) -> None:
        """Gives a sub-tenant's pool `limit` seats of this one (parent side)."""
        if limit < 0:
            raise ValidationFailed("an allocation cannot be negative", field="limit")
        current = self.allocations.get(str(child_tenant_id), 0)
        if limit - current > self.available:
            raise QuotaExhausted(
                f"the parent pool {self.pool!r} has {self.available} seats left "
                f"and cannot give {limit - current} more",
                pool=self.pool,
                available=self.available,
                tenant_id=str(self.tenant_id),
            )
        if limit != current:
            self._allocate(str(child_tenant_id), limit)
            self._record_level()

    @event("SeatAllocatedToChild")
    def _allocate(self, child_tenant_id: str, limit: int) -> None:
        if limit:
            self.allocations[child_tenant_id] = limit
        else:
            self.allocations.pop(child_tenant_id, None)

    def assign(self, holder_id: str) -> None:
        if holder_id in self.holders:
            raise AlreadyAssigned(
                f"{holder_id!r} already holds a seat in {self.pool!r}",
                holder_id=holder_id,
                pool=self.pool,
            )
        self.check_free_seat()
        self._assign(holder_id)
        self._record_level()

    def check_free_seat(self) -> None:
        if self.available <= 0:
            raise QuotaExhausted(
                f"all {self.limit} seats of {self.pool!r} are taken",
                pool=self.pool,
                limit=self.limit,
                available=max(self.available, 0),
            )

    @event("SeatAssigned")
    def _assign(self, holder_id: str) -> None:
        self.holders[holder_id] = True

    def release(self, holder_id: str) -> None:
        if holder_id not in self.holders:
            raise NotFound(
                f"{holder_id!r} holds no seat in {self.pool!r}", holder_id=holder_id
            )
        self._release(holder_id)
        self._record_level()

    @event("SeatReleased")
    def _release(self, holder_id: str) -> None:
        del self.holders[holder_id]

    def _record_level(self) -> None:
        level = self.current_level
        if level != self.level:
            self._level_changed(level.value, self.level)

    @event("UsageLevelChanged")
    def _level_changed(self, level: str, previous: str) -> None:
        self.level = level
