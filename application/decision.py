"""What a handler returns: the aggregate the caller asked about first, then
every other aggregate it changed; the bus saves them all in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eventsourcing.domain import Aggregate


@dataclass(frozen=True)
class Decided:
    result: Aggregate
    others: tuple[Aggregate | None, ...] = ()
    secret: str | None = None  # a new API key's secret: in the answer, never stored
    status: int | None = None  # 202: recorded now, takes effect later

    def aggregates(self, *also: Aggregate) -> list[Aggregate]:
        """The result, the others and `also`, each once, in order."""
        found: dict[Any, Aggregate] = {}
        for aggregate in (self.result, *self.others, *also):
            if aggregate is not None and aggregate.id not in found:
                found[aggregate.id] = aggregate
        return list(found.values())


def decided(result: Aggregate, *others: Aggregate | None) -> Decided:
    return Decided(result, others)
