"""The pool-size cell: does AssignSeat cost the same in a pool with 20,000
holders as in one with 100?

Each pool is filled fast: its SeatAssigned events are triggered on the real
aggregate and saved in big batches straight through the store (metadata and
hash chain as a command's), like bench/replay.py. The bus then meets the
pool as a command would after a restart: its first command loads it (and
the bus snapshots it), in the warm-up. Then one caller assigns for the
window, on each pool in turn, twice (A B A B), so drift in the machine's
load falls on both.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from application.ports import Change, Commit, Meta
from bench.measure import Cell, run_cell
from bench.paths import BENCH, InProcess
from domain.commands import AssignSeat
from domain.seat_pool import SeatPool, pool_id

CHUNK = 5_000


def fill(app: InProcess, slug: str, holders: int) -> None:
    c = app.container
    loaded = c.store.load(pool_id(app.tenant_id, slug))
    assert loaded is not None
    pool: Any = loaded[0]
    assert isinstance(pool, SeatPool)
    meta = Meta(actor="bench", correlation_id="bench-pool-size")
    now = datetime.now(UTC)
    done = 0
    while done < holders:
        for i in range(done, min(holders, done + CHUNK)):
            pool.assign(f"pre-{i}", now)
        done = min(holders, done + CHUNK)
        events = list(pool.collect_events())
        c.store.append(Commit([Change(events, meta, {pool.id: app.tenant_id})]))


def warm(app: InProcess, slug: str, n: int = 50) -> None:
    for i in range(n):
        cmd = AssignSeat(tenant_id=app.tenant_id, pool=slug, holder_id=f"warm-{i}")
        app.bus.handle(BENCH, cmd)


def pool_size_cells(
    app: InProcess, sizes: tuple[int, ...], seconds: float
) -> list[Cell]:
    slugs = {}
    for size in sizes:
        (slug,) = app.open_pools(1)
        fill(app, slug, size)
        warm(app, slug)
        slugs[size] = slug
    cells = {size: Cell(f"in-process, {size:,} holders", 1) for size in sizes}
    for rnd in range(2):
        for size in sizes:
            part = Cell("", 1)
            op = app.op(slugs[size], f"r{rnd}")
            started = time.process_time()
            run_cell(part, [op], 0.2, seconds / 2)
            cell = cells[size]
            cell.cpu["bench process"] = cell.cpu.get("bench process", 0.0) + (
                time.process_time() - started
            )
            cell.ok += part.ok
            cell.seconds += part.seconds
            cell.latencies += part.latencies
            cell.errors += part.errors
            cell.load = part.load
    return list(cells.values())
