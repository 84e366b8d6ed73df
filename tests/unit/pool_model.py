"""A model of a seat pool kept apart from the aggregate: what counts at a
moment and which command must be refused, from the documented definitions alone."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from domain.errors import (
    AlreadyAssigned,
    DomainError,
    LimitBelowUsage,
    NotFound,
    QuotaExhausted,
)


def counting(end: date | None, now: datetime) -> bool:
    return end is None or end >= now.date()


@dataclass
class Model:
    limit: int | None
    threshold: float
    holders: dict[str, date | None] = field(default_factory=dict)
    reservations: dict[str, datetime] = field(default_factory=dict)
    allocations: dict[str, int] = field(default_factory=dict)

    def counts(self, now: datetime) -> tuple[int, int, int]:
        used = sum(counting(end, now) for end in self.holders.values())
        reserved = sum(expires > now for expires in self.reservations.values())
        return used, reserved, sum(self.allocations.values())

    def in_use(self, now: datetime) -> int:
        return sum(self.counts(now))

    def has_room(self, now: datetime) -> bool:
        return self.limit is None or self.in_use(now) < self.limit

    def level(self, now: datetime) -> str:
        assert self.limit is not None
        in_use = self.in_use(now)
        utilization = 1.0 if self.limit == 0 else in_use / self.limit
        if utilization >= 1.0:
            return "full"
        return "warning" if utilization >= self.threshold else "ok"

    def refusal(self, name: str, args: Any, now: datetime) -> type[DomainError] | None:
        """The error the command must raise; if none, applies it to the model."""
        if name == "assign":
            holder, end = args
            if holder in self.holders:
                return AlreadyAssigned
            if counting(end, now) and not self.has_room(now):
                return QuotaExhausted
            self.holders[holder] = end
        elif name == "release":
            if args[0] not in self.holders:
                return NotFound
            del self.holders[args[0]]
        elif name == "change_end_date":
            holder, end = args
            revived = counting(end, now) and not counting(self.holders[holder], now)
            if revived and not self.has_room(now):
                return QuotaExhausted
            self.holders[holder] = end
        elif name == "reserve":
            if not self.has_room(now):
                return QuotaExhausted
            self.reservations[args[0]] = args[1]
        elif name == "release_reservation":
            self.reservations.pop(args[0], None)
        elif name == "set_limit":
            if args[0] < self.in_use(now):
                return LimitBelowUsage
            self.limit, self.threshold = args[0], args[1] or self.threshold
        else:
            assert self.limit is not None
            child, limit = str(args[0]), args[1]
            current = self.allocations.get(child, 0)
            if limit - current > self.limit - self.in_use(now):
                return QuotaExhausted
            self.allocations[child] = limit
            if not limit:
                del self.allocations[child]
        return None
