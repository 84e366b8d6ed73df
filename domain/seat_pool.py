"""SeatPool: one contracted quota of one tenant, the consistency boundary for it.

Seats are held by holders (a member id, a posting id, ...) and, in the
`members` pool, reserved by pending invitations. A member's seat carries the
member's end date and a reservation its expiry, so what counts depends on the
moment: every command and read passes `now` in (the domain has no clock).
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.common import DEFAULT_WARNING_THRESHOLD, UsageLevel, derive_id, instant
from domain.errors import (
    AlreadyAssigned,
    InvalidState,
    LimitBelowUsage,
    NotFound,
    QuotaExhausted,
    ValidationFailed,
)
from domain.seat_count import ENDING, OPEN, SeatCount, Usage, counts

__all__ = ["ENDING", "MEMBERS", "OPEN", "SeatCount", "SeatPool", "Usage", "counts"]

MEMBERS = "members"
# Scheduled changes a pool may wait for at once: its state stays small.
MAX_PENDING_CHANGES = 100


@lru_cache(maxsize=65_536)
def pool_id(tenant_id: UUID, pool: str) -> UUID:
    # A uuid5 per lookup was 3 % of a command's CPU; the answer never changes.
    return derive_id("pool", tenant_id, pool)


class SeatPool(Aggregate):
    @staticmethod
    def create_id(
        tenant_id: UUID,
        pool: str,
        limit: int | None,
        warning_threshold: float,
        parent_pool_id: UUID | None,
    ) -> UUID:
        return pool_id(tenant_id, pool)

    @event("SeatPoolOpened")
    def __init__(
        self,
        tenant_id: UUID,
        pool: str,
        limit: int | None,
        warning_threshold: float,
        parent_pool_id: UUID | None,
    ) -> None:
        self.tenant_id = tenant_id
        self.pool = pool
        # None: tracked but not contracted yet. The members pool tracks members
        # and invitations from the first one, so that contracting it later
        # counts those that already exist.
        self.limit = limit
        self.warning_threshold = warning_threshold
        # Set once, when a limit is first set: a pool that drew from its
        # parent keeps doing so.
        self.parent_pool_id = parent_pool_id
        self.holders: dict[str, str | None] = {}  # holder -> end date
        self.seat_count = SeatCount.of(()).state  # the holders by end date
        self.reservations: dict[str, str] = {}  # invitation -> expires at
        self.allocations: dict[str, int] = {}  # child tenant -> its limit
        self.scheduled: dict[str, dict[str, Any]] = {}  # see pending_changes
        # Opening records no UsageLevelChanged; later crossings do. Plain
        # strings throughout, so a JSON snapshot rebuilds exactly this state.
        empty = Usage(limit or 0, 0, 0, 0, warning_threshold)
        self.level = empty.level.value if limit is not None else UsageLevel.OK.value

    @classmethod
    def open(
        cls,
        tenant_id: UUID,
        pool: str,
        limit: int | None,
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
    def contracted(self) -> bool:
        return self.limit is not None

    def usage(self, now: datetime) -> Usage:
        moment = instant(now)
        return Usage(
            limit=self.limit or 0,
            used=self._seats().used(now),
            reserved=sum(1 for exp in self.reservations.values() if exp > moment),
            allocated=sum(self.allocations.values()),
            warning_threshold=self.warning_threshold,
        )

    def _seats(self) -> SeatCount:
        """The holders counted by end date, kept as seats come and go, so a
        command's cost does not grow with the pool. Rebuilt from the holders
        for a pool restored from a snapshot taken before it was kept."""
        found = self.__dict__.get("seat_count")
        if not isinstance(found, dict):
            found = SeatCount.of(self.holders.values()).state
            self.__dict__["seat_count"] = found
        return SeatCount(found)

    def holds(self, holder_id: str) -> bool:
        return holder_id in self.holders

    # -- the contract -----------------------------------------------------

    def set_limit(
        self,
        limit: int,
        warning_threshold: float | None,
        now: datetime,
        parent_pool_id: UUID | None = None,
    ) -> None:
        usage = self.check_limit(limit, now)
        threshold = warning_threshold or self.warning_threshold
        if not self.contracted:
            level = Usage(limit, usage.used, usage.reserved, usage.allocated, threshold)
            self._contract(limit, threshold, parent_pool_id, level.level.value)
        elif limit != self.limit or threshold != self.warning_threshold:
            self._set_limit(limit, threshold)
        self._record_level(now)

    def check_limit(self, limit: int, now: datetime) -> Usage:
        """Refuses a limit below what is in use now; returns the usage."""
        usage = self.usage(now)
        if limit < usage.in_use:
            raise LimitBelowUsage(
                f"{usage.in_use} seats are in use; the limit cannot go below that",
                limit=limit,
                in_use=usage.in_use,
            )
        return usage

    @event("SeatPoolContracted")
    def _contract(
        self,
        limit: int,
        warning_threshold: float,
        parent_pool_id: UUID | None,
        level: str,
    ) -> None:
        # Like opening: the level it starts at is recorded, not a crossing.
        self.limit = limit
        self.warning_threshold = warning_threshold
        self.parent_pool_id = parent_pool_id
        self.level = level

    @event("SeatLimitSet")
    def _set_limit(self, limit: int, warning_threshold: float) -> None:
        self.limit = limit
        self.warning_threshold = warning_threshold

    def allocate_to_child(
        self, child_tenant_id: UUID, limit: int, now: datetime
    ) -> None:
        """Gives a sub-tenant's pool `limit` seats of this one (parent side)."""
        current = self.check_allocation(child_tenant_id, limit, now)
        if limit != current:
            self._allocate(str(child_tenant_id), limit)
            self._record_level(now)

    def check_allocation(self, child_tenant_id: UUID, limit: int, now: datetime) -> int:
        """Refuses an allocation this pool cannot cover; returns the current one."""
        if limit < 0:
            raise ValidationFailed("an allocation cannot be negative", field="limit")
        current = self.allocations.get(str(child_tenant_id), 0)
        available = self.usage(now).available
        if limit - current > available:
            raise QuotaExhausted(
                f"the parent pool {self.pool!r} has {available} seats left "
                f"and cannot give {limit - current} more",
                pool=self.pool,
                available=available,
                tenant_id=str(self.tenant_id),
            )
        return current

    def move_allocation(
        self, giver: UUID, receiver: UUID, quantity: int, now: datetime
    ) -> None:
        """Seats passed from one child to another: what this pool gives away
        in total stays, so its available seats and its level stay too (no
        passing UsageLevelChanged between the two steps)."""
        given = self.allocations.get(str(giver), 0)
        if quantity > given:
            raise ValidationFailed(
                f"the child holds {given} seats of this pool", field="quantity"
            )
        self._allocate(str(giver), given - quantity)
        self._allocate(str(receiver), self.allocations.get(str(receiver), 0) + quantity)
        self._record_level(now)

    @event("SeatAllocatedToChild")
    def _allocate(self, child_tenant_id: str, limit: int) -> None:
        if limit:
            self.allocations[child_tenant_id] = limit
        else:
            self.allocations.pop(child_tenant_id, None)

    # -- seats ------------------------------------------------------------

    def check_free_seat(self, now: datetime) -> None:
        if not self.contracted:
            return  # tracked only: nothing to exhaust
        available = self.usage(now).available
        if available <= 0:
            raise QuotaExhausted(
                f"all {self.limit} seats of {self.pool!r} are taken",
                pool=self.pool,
                limit=self.limit,
                available=max(available, 0),
            )

    def assign(
        self, holder_id: str, now: datetime, end_date: str | None = None
    ) -> None:
        if holder_id in self.holders:
            raise AlreadyAssigned(
                f"{holder_id!r} already holds a seat in {self.pool!r}",
                holder_id=holder_id,
                pool=self.pool,
            )
        if counts(end_date, now):
            self.check_free_seat(now)
        self._assign(holder_id, end_date)
        self._record_level(now)

    class SeatAssigned(Aggregate.Event):
        """Schema 2 added `end_date` (the "stories" release). Declared here, in
        the aggregate's body, so its topic stays
        `domain.seat_pool:SeatPool.SeatAssigned` and stored events resolve."""

        holder_id: str
        end_date: str | None
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            # setdefault, not assignment: events recorded with an end date but
            # before class_version existed are also read as version 1.
            state.setdefault("end_date", None)

    @event(SeatAssigned)
    def _assign(self, holder_id: str, end_date: str | None) -> None:
        self._seats().add(end_date)
        self.holders[holder_id] = end_date

    def change_end_date(
        self, holder_id: str, end_date: str | None, now: datetime
    ) -> None:
        """A seat that stopped counting needs a free seat to count again."""
        if holder_id not in self.holders:
            raise NotFound(
                f"{holder_id!r} holds no seat in {self.pool!r}", holder_id=holder_id
            )
        current = self.holders[holder_id]
        if counts(end_date, now) and not counts(current, now):
            self.check_free_seat(now)
        if end_date != current:
            self._change_end_date(holder_id, end_date)
            self._record_level(now)

    @event("SeatEndDateChanged")
    def _change_end_date(self, holder_id: str, end_date: str | None) -> None:
        seats = self._seats()
        seats.remove(self.holders[holder_id])
        seats.add(end_date)
        self.holders[holder_id] = end_date

    def release(self, holder_id: str, now: datetime) -> None:
        if holder_id not in self.holders:
            raise NotFound(
                f"{holder_id!r} holds no seat in {self.pool!r}", holder_id=holder_id
            )
        self._release(holder_id)
        self._record_level(now)

    @event("SeatReleased")
    def _release(self, holder_id: str) -> None:
        self._seats().remove(self.holders.pop(holder_id))

    def reserve(self, invitation_id: str, expires_at: str, now: datetime) -> None:
        self.check_free_seat(now)
        self._reserve(invitation_id, expires_at)
        self._record_level(now)

    @event("SeatReserved")
    def _reserve(self, invitation_id: str, expires_at: str) -> None:
        self.reservations[invitation_id] = expires_at

    def release_reservation(self, invitation_id: str, now: datetime) -> None:
        if invitation_id in self.reservations:
            self._release_reservation(invitation_id)
            self._record_level(now)

    @event("ReservationReleased")
    def _release_reservation(self, invitation_id: str) -> None:
        del self.reservations[invitation_id]

    def _record_level(self, now: datetime) -> None:
        if not self.contracted:
            return
        level = self.usage(now).level
        if level != self.level:
            self._level_changed(level.value, self.level)

    @event("UsageLevelChanged")
    def _level_changed(self, level: str, previous: str) -> None:
        self.level = level

    # -- scheduled contract changes -----------------------------------------
    # The pool keeps the changes still to come (the ScheduledChange aggregates
    # keep each one's whole story), so that any command on the pool finds
    # those that fell due and applies them first, in its own save.

    def pending_changes(self) -> dict[str, dict[str, Any]]:
        """change id -> {limit, warning_threshold, effective_at, scheduled_at},
        in the order
        scheduled. A pool restored from a snapshot taken before scheduling
        existed has none."""
        found = self.__dict__.get("scheduled")
        if not isinstance(found, dict):
            found = {}
            self.__dict__["scheduled"] = found
        return found

    def due_changes(self, now: datetime) -> list[str]:
        """The pending changes whose instant has come, earliest first (in the
        order scheduled for one instant)."""
        moment = instant(now)
        pending = self.pending_changes()
        due = [cid for cid, c in pending.items() if c["effective_at"] <= moment]
        return sorted(due, key=lambda cid: str(pending[cid]["effective_at"]))

    def note_change(
        self,
        change_id: UUID,
        limit: int,
        warning_threshold: float | None,
        effective_at: str,
        scheduled_at: str,
    ) -> None:
        if len(self.pending_changes()) >= MAX_PENDING_CHANGES:
            raise InvalidState(
                f"the pool {self.pool!r} already has {MAX_PENDING_CHANGES} "
                "scheduled changes; cancel one first",
                pool=self.pool,
            )
        self._note_change(
            str(change_id), limit, warning_threshold, effective_at, scheduled_at
        )

    @event("ContractChangePending")
    def _note_change(
        self,
        change_id: str,
        limit: int,
        warning_threshold: float | None,
        effective_at: str,
        scheduled_at: str,
    ) -> None:
        self.pending_changes()[change_id] = {
            "limit": limit,
            "warning_threshold": warning_threshold,
            "effective_at": effective_at,
            "scheduled_at": scheduled_at,
        }

    def settle_change(self, change_id: UUID) -> None:
        """The change was applied, failed or was cancelled: no longer pending."""
        if str(change_id) in self.pending_changes():
            self._settle_change(str(change_id))

    @event("ContractChangeSettled")
    def _settle_change(self, change_id: str) -> None:
        del self.pending_changes()[change_id]
