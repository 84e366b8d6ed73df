"""What a replay rebuilds, and how it reads the store's log: a batch at a
time, never all at once."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from infra.eventstore import Log
from projections.envelope import Envelope
from projections.registry import PROJECTIONS, Projection

_TABLE = re.compile(r"\s*CREATE TABLE IF NOT EXISTS (\w+)", re.IGNORECASE)


class UnknownProjection(ValueError):
    def __init__(self, unknown: Sequence[str]) -> None:
        known = ", ".join(p.name for p in PROJECTIONS)
        super().__init__(
            f"unknown projection {', '.join(map(repr, unknown))}; known: {known}"
        )


def select_projections(names: Sequence[str] | None) -> tuple[Projection, ...]:
    """The projections named (all when none), in registry order."""
    if not names:
        return PROJECTIONS
    known = {p.name for p in PROJECTIONS}
    unknown = [n for n in dict.fromkeys(names) if n not in known]
    if unknown:
        raise UnknownProjection(unknown)
    return tuple(p for p in PROJECTIONS if p.name in names)


def tables_of(projections: Sequence[Projection]) -> list[str]:
    return [
        m.group(1) for p in projections for ddl in p.tables if (m := _TABLE.match(ddl))
    ]


def batches(log: Log, after: int, stop: int, size: int) -> Iterator[list[Envelope]]:
    """The log's events in (after, stop], `size` at a time, never all at once."""
    for found in log.read(after, stop, size):
        yield [log.strict_envelope(n) for n in found]
