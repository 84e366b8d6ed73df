"""`run_replay`: unlocked rounds into the shadow, then the swap, then a
summary of what was replayed."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import structlog
from rich.console import Console

from infra.bootstrap import Container
from infra.replay.progress import _progress
from infra.replay.shadow import open_shadow
from infra.replay.source import select_projections
from infra.replay.swap import _Run, _swap
from projections.registry import PROJECTIONS

log = structlog.get_logger(__name__)

# Unlocked rounds before the swap: each replays what arrived during the last.
ROUNDS = 10


@dataclass(frozen=True)
class ReplayResult:
    projections: tuple[str, ...]
    events: int
    seconds: float
    position: int

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def _before_swap(run: _Run) -> None:
    """Leaves as little as possible for the swap to apply under the lock."""
    run.shadow_to(run.log.head())
    for _ in range(ROUNDS):
        head = run.log.head()
        if head - run.reached <= run.size:
            break  # the rest is applied under the lock
        run.shadow_to(head)
    if len(run.projections) < len(PROJECTIONS):
        live = run.catch_up_live(run.log.head())
        log.info("live projections caught up", events=live)


def _report(result: ReplayResult, console: Console) -> None:
    names = result.projections
    log.info(
        "replay swapped in",
        projections=names,
        events=result.events,
        position=result.position,
        seconds=round(result.seconds, 3),
    )
    console.print(
        f"Replayed {result.events:,} events into {', '.join(names)} in "
        f"{result.seconds:.1f} s ({result.rate:,.0f} events/s); swapped in at "
        f"position {result.position}.",
        highlight=False,
        soft_wrap=True,
    )


def run_replay(
    container: Container,
    projections: Sequence[str] | None,
    batch: int,
    console: Console,
    on_batch: Callable[[int], None] | None = None,
) -> ReplayResult:
    """Rebuilds the named projections (all when None) and swaps them in.
    `on_batch` is called with the events replayed so far after every batch."""
    chosen = select_projections(projections)
    names = tuple(p.name for p in chosen)
    started = time.perf_counter()
    with open_shadow(container) as shadow, _progress(console) as progress:
        run = _Run(container, shadow, chosen, batch, progress, on_batch)
        log.info("replay started", projections=names, shadow=shadow.where)
        _before_swap(run)
        position = _swap(run)
    result = ReplayResult(names, run.events, time.perf_counter() - started, position)
    _report(result, console)
    return result
