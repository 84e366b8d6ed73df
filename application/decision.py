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

    def aggregates(self) -> list[Aggregate]:
        """The result and the others, each once, in order."""
        found: dict[Any, Aggregate] = {}
        for aggregate in (self.result, *self.others):
            if aggregate is not None and aggregate.id not in found:
                found[aggregate.id] = aggregate
        return list(found.values())


def decided(result: Aggregate, *others: Aggregate | None) -> Decided:
    return Decided(result, others)
