"""How a seat pool counts: its usage at a moment, and its holders counted by
end date (plain values, no events: domain/seat_pool.py keeps them)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.common import UsageLevel, level_for


@dataclass(frozen=True)
class Usage:
    limit: int
    used: int
    reserved: int
    allocated: int
    warning_threshold: float

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
    def level(self) -> UsageLevel:
        return level_for(self.utilization, self.warning_threshold)


def counts(end_date: str | None, now: datetime) -> bool:
    """A seat with an end date counts up to and including that day."""
    return end_date is None or end_date >= now.date().isoformat()


OPEN = "open"  # holders without an end date
ENDING = "ending"  # end date -> holders ending that day


@dataclass(frozen=True)
class SeatCount:
    """Holders counted by end date, over a plain dict (the form a JSON
    snapshot keeps): `used` at any moment costs the number of distinct end
    dates, not the number of holders."""

    state: dict[str, Any]

    @classmethod
    def of(cls, ends: Iterable[str | None]) -> SeatCount:
        count = cls({OPEN: 0, ENDING: {}})
        for end in ends:
            count.add(end)
        return count

    def add(self, end: str | None) -> None:
        if end is None:
            self.state[OPEN] += 1
        else:
            ending = self.state[ENDING]
            ending[end] = ending.get(end, 0) + 1

    def remove(self, end: str | None) -> None:
        if end is None:
            self.state[OPEN] -= 1
            return
        ending = self.state[ENDING]
        ending[end] -= 1
        if not ending[end]:
            del ending[end]

    def used(self, now: datetime) -> int:
        today = now.date().isoformat()
        ending: dict[str, int] = self.state[ENDING]
        open_: int = self.state[OPEN]
        return open_ + sum(n for end, n in ending.items() if end >= today)
