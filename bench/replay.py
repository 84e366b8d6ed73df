"""Replay rate on PostgreSQL, beside the raw rate of reading and decoding the
same rows in the same run, and the process's memory while it replays.

    .venv/bin/python -m bench.replay [--events 1000000] [--batch 1000]

1. History: tenants and their pools are opened through the Ledger's use cases;
   the bulk is written straight into the event store: SeatAssigned and
   SeatReleased (and the UsageLevelChanged they cause in the small pools)
   triggered on the real SeatPool aggregates, mapped by the ledger's own
   mapper (actor and tenant metadata, as a command would) and inserted with
   the recorder's `insert_events`, thousands per call, round-robin over the
   pools so that tenants interleave in the log.
2. raw: `select_notifications` + `to_envelope` over the whole log, batch by
   batch: the read-and-decode part of a replay, nothing applied.
3. replay: `run_replay` of every projection into the shadow schema, then the
   swap, as `seatledger replay` does it.

VmRSS is sampled before, after every batch, and after each of 2 and 3.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from application.auth import Principal, Role
from application.ports import Change, Commit, Meta
from bench.pg import database, drop_schemas, server_facts
from domain.commands import CreateTenant, SetSeatLimit
from domain.common import MAX_LIMIT
from domain.seat_pool import SeatPool, pool_id
from infra import logging as seatledger_logging
from infra.bootstrap import Container, bootstrap
from infra.replay import batches, run_replay
from infra.settings import Settings

HELD = 20  # holders a pool keeps: each round assigns one and releases one
SMALL_EVERY = 10  # every 10th pool's limit is HELD + 1: it flips full/warning
INSERT_CHUNK = 10_000


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


@dataclass
class Phase:
    name: str
    events: int = 0
    seconds: float = 0.0
    rss: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


@dataclass
class Fleet:
    """The bench's pools, kept in memory while their events are written."""

    pools: list[SeatPool]
    tenants: dict[UUID, UUID | None]
    held: dict[UUID, deque[str]] = field(default_factory=dict)
    serial: int = 0

    @classmethod
    def open(cls, c: Container, tenants: int, per_tenant: int) -> Fleet:
        who = Principal("bench", Role.OPERATOR)
        pools: list[SeatPool] = []
        for t in range(tenants):
            cmd = CreateTenant(name=f"Bench {t}")
            view: Any = c.bus.handle(who, cmd).view
            tenant_id = view.tenant_id
            for p in range(per_tenant):
                small = (t * per_tenant + p) % SMALL_EVERY == 0
                limit = HELD + 1 if small else MAX_LIMIT
                slug = f"pool_{p}"
                c.bus.handle(
                    who, SetSeatLimit(tenant_id=tenant_id, pool=slug, limit=limit)
                )
                pool = c.store.get(pool_id(tenant_id, slug))
                assert isinstance(pool, SeatPool)
                pools.append(pool)
        return cls(pools, {pool.id: pool.tenant_id for pool in pools})

    def round(self, now: datetime) -> None:
        for pool in self.pools:
            held = self.held.setdefault(pool.id, deque())
            self.serial += 1
            holder = f"h-{self.serial}"
            pool.assign(holder, now)
            held.append(holder)
            if len(held) > HELD:
                pool.release(held.popleft(), now)

    def write(self, c: Container, events: int, console: Console) -> int:
        """Writes about `events` events; returns how many it wrote."""
        now = datetime.now(UTC)
        meta = Meta(actor="bench", correlation_id="bench-replay")
        written = 0
        with _bar(console) as progress:
            task = progress.add_task("write", total=events)
            while written < events:
                pending: list[Any] = []
                while len(pending) < INSERT_CHUNK:
                    self.round(now)
                    pending += [e for p in self.pools for e in p.collect_events()]
                stored = self.store(c, meta, pending)
                written += len(stored)
                progress.update(task, completed=min(written, events))
        return written

    def store(self, c: Container, meta: Meta, events: list[Any]) -> list[Any]:
        """Saves as the command bus does (metadata, hash chain), in one go."""
        c.store.append(Commit([Change(events, meta, dict(self.tenants))]))
        return events


def _bar(console: Console) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
    )


def measure_raw(c: Container, batch: int) -> Phase:
    phase = Phase("raw: read + decode")
    gc.collect()
    phase.rss.append(rss_mib())
    started = time.perf_counter()
    for envelopes in batches(c.log, 0, c.log.head(), batch):
        phase.events += len(envelopes)
        phase.rss.append(rss_mib())
    phase.seconds = time.perf_counter() - started
    phase.rss.append(rss_mib())
    return phase


def measure_replay(c: Container, batch: int, console: Console) -> Phase:
    phase = Phase("replay: all projections + swap")
    gc.collect()
    phase.rss.append(rss_mib())
    result = run_replay(
        c, None, batch, console, on_batch=lambda _: phase.rss.append(rss_mib())
    )
    phase.events, phase.seconds = result.events, result.seconds
    phase.rss.append(rss_mib())
    return phase


def verify(c: Container, fleet: Fleet) -> str:
    with c.db.read() as tx:
        pools = tx.execute("SELECT COUNT(*) FROM proj_pools")[0][0]
        holders = tx.execute("SELECT COUNT(*) FROM proj_pool_holders")[0][0]
    want = sum(len(h) for h in fleet.held.values())
    if (pools, holders) != (len(fleet.pools), want):
        raise SystemExit(f"projections wrong: {pools} pools, {holders} holders")
    return f"{pools:,} pools and {holders:,} seat holders, as written"


def report(phases: list[Phase], console: Console) -> None:
    raw = phases[0].rate
    table = Table(title="Replay on PostgreSQL", title_justify="left")
    for column in ("phase", "events", "seconds", "events/s", "÷ raw"):
        table.add_column(column, justify="left" if column == "phase" else "right")
    for column in ("RSS start", "RSS peak", "RSS end", "peak - start"):
        table.add_column(f"{column} MiB", justify="right")
    for p in phases:
        start, peak, end = p.rss[0], max(p.rss), p.rss[-1]
        table.add_row(
            p.name,
            f"{p.events:,}",
            f"{p.seconds:.1f}",
            f"{p.rate:,.0f}",
            f"{p.rate / raw:.3f}" if raw else "-",
            f"{start:.0f}",
            f"{peak:.0f}",
            f"{end:.0f}",
            f"{peak - start:+.1f}",
        )
    console.print(table)
    console.print(
        "raw: the same batches read and decoded into envelopes, nothing applied. "
        "replay: rebuilt into the shadow schema, caught up and swapped in. "
        "RSS (VmRSS) sampled before, after every batch, and after each phase.",
        highlight=False,
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench.replay",
        description="Replay rate vs raw read+decode rate, and memory, on PostgreSQL.",
    )
    p.add_argument("--events", type=int, default=1_000_000, help="history size")
    p.add_argument("--batch", type=int, default=1000, help="events per batch")
    p.add_argument("--tenants", type=int, default=200)
    p.add_argument("--pools", type=int, default=5, help="pools per tenant")
    p.add_argument(
        "--database-url",
        help="use this PostgreSQL (a fresh schema, dropped afterwards) instead of "
        "a throwaway cluster",
    )
    args = p.parse_args(argv)
    if min(args.events, args.batch, args.tenants, args.pools) < 1:
        p.error("--events, --batch, --tenants and --pools must be >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    console = Console(width=None if sys.stdout.isatty() else 160)
    seatledger_logging.configure("WARNING")
    schema = f"bench_{uuid.uuid4().hex[:8]}_replay_src"
    started = time.monotonic()
    with (
        database(args.database_url) as (url, where),
        tempfile.TemporaryDirectory(prefix="seatledger-bench-") as workdir,
    ):
        facts = server_facts(url)
        console.print(
            f"PostgreSQL {facts['server_version']} ({where}; fsync={facts['fsync']},"
            f" synchronous_commit={facts['synchronous_commit']}, shared_buffers="
            f"{facts['shared_buffers']})  |  Python {sys.version.split()[0]}  |  "
            f"{args.tenants} tenants x {args.pools} pools, batch {args.batch}",
            highlight=False,
        )
        settings = Settings(
            database_url=url,
            postgres_schema=schema,
            data_dir=Path(workdir),
            bootstrap_key="bench-operator-key-0123456789abcdef",
        )
        c = bootstrap(settings, configure_logging=False)
        try:
            t0, rss0 = time.monotonic(), rss_mib()
            fleet = Fleet.open(c, args.tenants, args.pools)
            written = fleet.write(c, args.events, console)
            gc.collect()
            console.print(
                f"history: {c.log.head():,} events ({written:,} bulk-inserted) "
                f"in {time.monotonic() - t0:.0f} s; RSS {rss0:.0f} MiB before "
                f"writing it, {rss_mib():.0f} MiB after",
                highlight=False,
            )
            phases = [measure_raw(c, args.batch)]
            phases.append(measure_replay(c, args.batch, console))
            console.print(f"verified: {verify(c, fleet)}", highlight=False)
        finally:
            c.close()
            if args.database_url:
                drop_schemas(url, [schema])
    report(phases, console)
    console.print(f"total {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
