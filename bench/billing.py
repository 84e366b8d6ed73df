"""What the billing summary and the usage history cost to read, at a year of
history for 1,000 pools, beside a plain read of the same projection rows in
the same run (and, for the usage history, beside replaying the events, as
it was computed before the daily-usage projection).

    .venv/bin/python -m bench.billing [--pools 1000] [--tenants 100] [--reads 40]

1. History: a partner and `--tenants` sub-tenants made through the command
   bus; `--pools` pools spread over the sub-tenants, contracted `--days` ago
   and then, day by day, seats assigned (some with an end date within a
   month) and released, written straight into the event store with the
   moments of the script (about one event per pool every three days), in
   log order, as the bus would save them.
2. The projections are built from the log by the embedded follower's code.
3. Reads, each `--reads` times after a warm-up, p50 and p99:
   billing of last month and of this month (the partner and every
   sub-tenant: one line per pool), the usage history of one sub-tenant over
   366 days; each beside the plain SELECT of the projection rows it covers.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any, cast
from uuid import UUID

import psycopg
from rich.console import Console
from rich.table import Table

from application.auth import Principal, Role
from application.ports import Change, Commit, Meta
from bench.pg import database, drop_schemas, server_facts
from consumers.log_follower import LogFollower
from domain.commands import BookLicense, CreateTenant
from domain.seat_pool import SeatPool
from infra import logging as seatledger_logging
from infra.bootstrap import Container, bootstrap
from infra.db import Database, PostgresDatabase, SqliteDatabase
from infra.settings import Settings
from projections import registry
from projections.daily_read import chunks
from projections.daily_state import COLUMNS as STATE_COLUMNS
from projections.usage_history import PoolEvent, usage_by_day

WHO = Principal("bench", Role.OPERATOR)
CHUNK = 5_000  # events per append


@dataclass
class Script:
    """The pools and what they hold, while their events are written."""

    partner: UUID
    tenants: list[UUID]
    pools: list[SeatPool]
    held: dict[UUID, list[str]]
    serial: int = 0

    def day(self, rng: random.Random, day: date) -> list[Any]:
        """About one event per pool every three days."""
        events: list[Any] = []
        for pool in self.pools:
            if rng.random() > 0.33:
                continue
            moment = datetime.combine(day, clock(rng.randrange(24)), UTC)
            held = self.held[pool.id]
            if len(held) > 8 and rng.random() < 0.5:
                pool.release(held.pop(rng.randrange(len(held))), moment)
            else:
                self.serial += 1
                ends = rng.random() < 0.2
                end = (day + timedelta(days=rng.randrange(30))).isoformat()
                pool.assign(f"h{self.serial}", moment, end if ends else None)
                held.append(f"h{self.serial}")
            events += stamped(pool, moment)
        return events


def stamped(pool: SeatPool, moment: datetime) -> list[Any]:
    """The pool's new events, as if they happened at `moment`."""
    events: list[Any] = list(pool.collect_events())
    return [
        replace(e, timestamp=moment + timedelta(microseconds=i))
        for i, e in enumerate(events)
    ]


def build(c: Container, tenants: int, pools: int, days: int, seed: int) -> Script:
    partner = c.bus.handle(WHO, CreateTenant(name="Bench Partner")).view
    pid = cast(Any, partner).tenant_id
    c.bus.handle(WHO, BookLicense(tenant_id=pid, feature="multi_tenant"))
    subs = [
        cast(
            Any, c.bus.handle(WHO, CreateTenant(name=f"Sub {i}", parent_id=pid)).view
        ).tenant_id
        for i in range(tenants)
    ]
    start = datetime.combine(date.today() - timedelta(days=days), clock(8), UTC)
    script = Script(pid, subs, [], {})
    opening: list[Any] = []
    for i in range(pools):
        pool = SeatPool.open(subs[i % tenants], f"pool_{i // tenants}", 50)
        script.pools.append(pool)
        script.held[pool.id] = []
        opening += stamped(pool, start)
    owners: dict[UUID, UUID | None] = {p.id: p.tenant_id for p in script.pools}
    meta = Meta("key:bench", "bench-billing")
    save(c, opening, owners, meta)
    rng = random.Random(seed)
    pending: list[Any] = []
    for offset in range(1, days + 1):
        pending += script.day(rng, start.date() + timedelta(days=offset))
        if len(pending) >= CHUNK:
            save(c, pending, owners, meta)
            pending = []
    save(c, pending, owners, meta)
    return script


def save(
    c: Container, events: list[Any], owners: dict[UUID, UUID | None], meta: Meta
) -> None:
    if events:
        c.store.append(Commit([Change(events, meta, owners)]))


# -- the reads ----------------------------------------------------------------


@dataclass
class Timing:
    name: str
    rows: int
    seconds: list[float]

    def pct(self, q: float) -> float:
        ordered = sorted(self.seconds)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    @property
    def p50(self) -> float:
        return statistics.median(self.seconds) * 1000


def timed(name: str, read: Callable[[], int], reads: int) -> Timing:
    rows = 0
    for _ in range(3):
        rows = read()
    seconds = []
    for _ in range(reads):
        started = time.perf_counter()
        read()
        seconds.append(time.perf_counter() - started)
    return Timing(name, rows, seconds)


def plain_rows(c: Container, pools: list[str], first: date, last: date) -> int:
    """The rows the read covers, selected and fetched, nothing computed: the
    pools' days in the range, and the pools' own rows (their state)."""
    count = 0
    with c.db.read() as tx:
        for part, marks in chunks(pools):
            count += len(
                tx.execute(
                    "SELECT pool_aggregate_id, day, peak_used, peak_in_use,"
                    " limit_max, end_used, end_reserved, end_allocated, end_limit,"
                    f" end_threshold FROM proj_daily_usage WHERE pool_aggregate_id"
                    f" IN ({marks}) AND day >= ? AND day <= ?",
                    (*part, first.isoformat(), last.isoformat()),
                )
            )
            count += len(
                tx.execute(
                    f"SELECT {STATE_COLUMNS} FROM proj_daily_pools"
                    f" WHERE pool_aggregate_id IN ({marks})",
                    part,
                )
            )
    return count


def build_rate(c: Container, without: str | None) -> float:
    """Events/s of the embedded follower building every projection (or all
    but `without`) from the whole log into fresh tables."""
    chosen = tuple(p for p in registry.PROJECTIONS if p.name != without)
    url = c.settings.database_url
    schema = f"bench_{uuid.uuid4().hex[:8]}_build"
    if url:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
    db: Database = (
        PostgresDatabase(url, schema)
        if url
        else SqliteDatabase(c.settings.data_dir / f"{schema}.sqlite")
    )
    saved = registry.PROJECTIONS
    registry.PROJECTIONS = chosen
    try:
        with db.transaction() as tx:
            registry.create_tables(tx)
        started = time.perf_counter()
        LogFollower(c.log, db).catch_up()
        return c.store.head() / (time.perf_counter() - started)
    finally:
        registry.PROJECTIONS = saved
        db.close()
        if url:
            drop_schemas(url, [schema])


def replayed(c: Container, pools: list[SeatPool], first: date, last: date) -> int:
    """The usage history as it was computed before: every event replayed."""
    now = datetime.now(UTC)
    rows = 0
    for pool in pools:
        events = cast(list[PoolEvent], list(c.store.history(pool.id)))
        rows += len(usage_by_day(events, first, last, now))
    return rows


def measure(c: Container, s: Script, reads: int) -> list[tuple[Timing, Timing]]:
    today = c.clock().date()
    this_month = today.replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    all_pools = [str(p.id) for p in s.pools]
    one = s.tenants[0]
    theirs = [p for p in s.pools if p.tenant_id == one]
    year = today - timedelta(days=365)
    found: list[tuple[Timing, Timing]] = []
    for label, month, first, last in (
        ("billing, last month", last_month, last_month, this_month - timedelta(days=1)),
        ("billing, this month", this_month, this_month, today),
    ):
        key = month.strftime("%Y-%m")
        read = lambda key=key: len(  # noqa: E731
            c.reads.billing.month(WHO, s.partner, key, True).lines
        )
        plain = lambda f=first, l=last: plain_rows(c, all_pools, f, l)  # noqa: E731,E741
        found.append((timed(label, read, reads), timed("plain rows", plain, reads)))

    def history() -> int:
        return sum(
            len(p.days) for p in c.reads.usage.history(WHO, one, None, year, today)
        )

    ids = [str(p.id) for p in theirs]
    found.append(
        (
            timed(f"usage history, {len(theirs)} pools x 366 days", history, reads),
            timed("plain rows", lambda: plain_rows(c, ids, year, today), reads),
        )
    )
    found.append(
        (
            timed(
                "usage history by replay (before)",
                lambda: replayed(c, theirs, year, today),
                max(3, reads // 4),
            ),
            timed("plain rows", lambda: plain_rows(c, ids, year, today), reads),
        )
    )
    return found


def report(found: list[tuple[Timing, Timing]], console: Console) -> None:
    table = Table(title="Reads at a year of history", title_justify="left")
    for column in (
        "read",
        "rows/lines",
        "p50 ms",
        "p99 ms",
        "plain rows",
        "plain p50 ms",
        "plain p99 ms",
        "÷ plain p50",
    ):
        table.add_column(column, justify="left" if column == "read" else "right")
    for read, plain in found:
        table.add_row(
            read.name,
            f"{read.rows:,}",
            f"{read.p50:.1f}",
            f"{read.pct(0.99):.1f}",
            f"{plain.rows:,}",
            f"{plain.p50:.1f}",
            f"{plain.pct(0.99):.1f}",
            f"{read.p50 / plain.p50:.1f}" if plain.p50 else "-",
        )
    console.print(table)


@contextmanager
def container(args: argparse.Namespace, console: Console) -> Iterator[Container]:
    with tempfile.TemporaryDirectory() as tmp:
        if args.sqlite:
            settings = Settings(data_dir=Path(tmp), bootstrap_key="b" * 40)
            console.print("store: SQLite in a temporary folder")
            c = bootstrap(settings, configure_logging=False)
            try:
                yield c
            finally:
                c.close()
            return
        with database(args.database_url) as (url, where):
            schema = f"bench_{uuid.uuid4().hex[:8]}_billing"
            console.print(f"store: PostgreSQL, {where}; {server_facts(url)}")
            settings = Settings(
                database_url=url,
                postgres_schema=schema,
                data_dir=Path(tmp),
                bootstrap_key="b" * 40,
            )
            c = bootstrap(settings, configure_logging=False)
            try:
                yield c
            finally:
                c.close()
                drop_schemas(url, [schema])


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.billing", description=__doc__)
    p.add_argument("--pools", type=int, default=1000)
    p.add_argument("--tenants", type=int, default=100, help="sub-tenants")
    p.add_argument("--days", type=int, default=365, help="of history")
    p.add_argument("--reads", type=int, default=40, help="timed reads per cell")
    p.add_argument("--seed", type=int, default=14)
    p.add_argument("--sqlite", action="store_true", help="SQLite, not PostgreSQL")
    p.add_argument("--database-url", default=None)
    p.add_argument(
        "--no-build-rates",
        dest="build_rates",
        action="store_false",
        help="skip rebuilding the projections with and without daily_usage",
    )
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    console = Console(width=140)
    seatledger_logging.configure("WARNING", False)
    with container(args, console) as c:
        started = time.perf_counter()
        script = build(c, args.tenants, args.pools, args.days, args.seed)
        written = c.store.head()
        console.print(
            f"history: {len(script.pools):,} pools over {args.days} days, "
            f"{written:,} events written in {time.perf_counter() - started:.1f} s"
        )
        started = time.perf_counter()
        c.follower.catch_up()
        took = time.perf_counter() - started
        with c.db.read() as tx:
            rows = tx.execute("SELECT COUNT(*) FROM proj_daily_usage")[0][0]
        console.print(
            f"projections built in {took:.1f} s ({written / took:,.0f} events/s); "
            f"{rows:,} daily rows"
        )
        report(measure(c, script, args.reads), console)
        if args.build_rates:
            rates = [(name, build_rate(c, name)) for name in ("daily_usage", None)]
            for name, rate in rates:
                which = f"all but {name}" if name else "all"
                console.print(f"projector from scratch, {which}: {rate:,.0f} events/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
