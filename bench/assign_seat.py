"""AssignSeat throughput on PostgreSQL, side by side with a plain-SQL baseline.

Three paths, measured in the same run against the same PostgreSQL server:

* ``plain SQL`` - psycopg, one transaction per seat:
  ``UPDATE bench_pool SET used = used + 1 WHERE id = %s AND used < lim`` then
  ``INSERT INTO bench_assignment``; rolled back if the update hit no row.
* ``in-process`` - the command bus's ``AssignSeat`` on a container from ``bootstrap()``.
* ``HTTP`` - a real ``seatledger serve`` process (uvicorn, embedded projector),
  ``POST /v1/tenants/{id}/seats/{pool}/assignments`` from one keep-alive httpx
  client per caller thread.

Each path runs with 1 caller, 8 callers on a pool each, and 8 callers sharing
one pool (contention). Every cell gets fresh pools (so earlier cells do not
grow the aggregates later cells load), a warm-up whose operations are not
counted, then a fixed measuring window. Every caller assigns its own, unique
holder ids; limits are large enough that no pool ever fills.

Retries of the event-sourced paths are counted as holes in the event log's
notification ids: an insert that lost the optimistic-concurrency race is rolled
back after taking its id. That counts every failed attempt in the cell,
warm-up included, and needs no hook in the service.

    .venv/bin/python -m bench.assign_seat [--seconds N] [--database-url URL]
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import os
import pstats
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg import sql
from rich.console import Console
from rich.table import Table

from application.auth import Principal, Role
from domain.commands import AssignSeat, CreateTenant, SetSeatLimit
from domain.common import MAX_LIMIT
from domain.errors import DomainError
from infra.bootstrap import Container, bootstrap
from infra.eventstore.persistence import NAME
from infra.local.postgres import throwaway_cluster
from infra.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
KEY = "bench-operator-key-0123456789abcdef"
EVENTS_TABLE = f"{NAME}_events"
BENCH = Principal("bench", Role.OPERATOR)
CALLERS = (1, 8)
SHARED_CALLERS = 8
# The last line of a Python traceback, as the server's log shows it.
EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception)): (.*)$")

# One operation: assign the caller's seq-th holder; None on success, else an
# error code (the API's `code`, or an exception's class name).
Op = Callable[[int], str | None]


@dataclass(frozen=True)
class Layout:
    callers: int
    shared: bool

    @property
    def label(self) -> str:
        if self.callers == 1:
            return "1 pool"
        return "1 shared pool" if self.shared else f"{self.callers} pools"

    def pools(self, tag: str) -> list[str]:
        """Pool slug per caller (the same slug repeated when shared)."""
        if self.shared:
            return [f"{tag}_shared"] * self.callers
        return [f"{tag}_c{self.callers}_{i}" for i in range(self.callers)]


LAYOUTS = (
    *(Layout(n, shared=False) for n in CALLERS),
    Layout(SHARED_CALLERS, shared=True),
)


@dataclass
class Cell:
    path: str
    layout: Layout
    ok: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)
    retries: int | None = None
    note: str = ""

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float | None:
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


# -- the measuring loop ---------------------------------------------------


def run_cell(cell: Cell, ops: list[Op], warmup: float, seconds: float) -> Cell:
    """Runs one op per caller thread: warm-up, then the measuring window."""
    window: dict[str, float] = {}

    def set_window() -> None:
        window["from"] = time.perf_counter() + warmup
        window["to"] = window["from"] + seconds

    barrier = threading.Barrier(len(ops), action=set_window)
    lock = threading.Lock()

    def caller(op: Op) -> None:
        latencies: list[float] = []
        errors: Counter[str] = Counter()
        examples: dict[str, str] = {}
        seq = 0
        barrier.wait()
        begin, end = window["from"], window["to"]
        while True:
            started = time.perf_counter()
            if started >= end:
                break
            try:
                code = op(seq)
            except Exception as exc:  # counted, never fatal to the run
                code = type(exc).__name__
                examples.setdefault(code, str(exc)[:300])
            seq += 1
            done = time.perf_counter()
            if started >= begin and done <= end:
                if code is None:
                    latencies.append(done - started)
                else:
                    errors[code] += 1
        with lock:
            cell.ok += len(latencies)
            cell.latencies.extend(latencies)
            cell.errors.update(errors)
            for code, text in examples.items():
                cell.examples.setdefault(code, text)

    threads = [threading.Thread(target=caller, args=(op,)) for op in ops]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    cell.seconds = seconds
    return cell


# -- plain SQL baseline -----------------------------------------------------


class PlainSql:
    name = "plain SQL"

    def __init__(self, url: str, schema: str) -> None:
        self.url = url
        self.schema = schema
        self.next_pool = 0
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
            conn.execute(
                sql.SQL(
                    "CREATE TABLE {}.bench_pool (id int PRIMARY KEY,"
                    " used int NOT NULL, lim int NOT NULL)"
                ).format(sql.Identifier(schema))
            )
            conn.execute(
                sql.SQL(
                    "CREATE TABLE {}.bench_assignment (pool_id int NOT NULL,"
                    " holder_id text NOT NULL, PRIMARY KEY (pool_id, holder_id))"
                ).format(sql.Identifier(schema))
            )
        schema_id = sql.Identifier(schema)
        self.update = sql.SQL(
            "UPDATE {}.bench_pool SET used = used + 1 WHERE id = %s AND used < lim"
        ).format(schema_id)
        self.insert = sql.SQL(
            "INSERT INTO {}.bench_assignment (pool_id, holder_id) VALUES (%s, %s)"
        ).format(schema_id)
        self.conns: list[psycopg.Connection] = []

    def ops(self, layout: Layout, tag: str) -> list[Op]:
        slugs = layout.pools(tag)
        ids: dict[str, int] = {}
        with psycopg.connect(self.url, autocommit=True) as conn:
            for slug in dict.fromkeys(slugs):
                self.next_pool += 1
                ids[slug] = self.next_pool
                conn.execute(
                    sql.SQL("INSERT INTO {}.bench_pool VALUES (%s, 0, %s)").format(
                        sql.Identifier(self.schema)
                    ),
                    (self.next_pool, MAX_LIMIT),
                )
        self.close()
        return [self._op(ids[slug], f"{tag}-{i}") for i, slug in enumerate(slugs)]

    def _op(self, pool: int, prefix: str) -> Op:
        conn = psycopg.connect(self.url)  # autocommit off: one tx per op
        self.conns.append(conn)
        update, insert = self.update, self.insert

        def op(seq: int) -> str | None:
            with conn.cursor() as cur:
                cur.execute(update, (pool,), prepare=True)
                if cur.rowcount != 1:
                    conn.rollback()
                    return "pool_full"
                cur.execute(insert, (pool, f"{prefix}-{seq}"), prepare=True)
            conn.commit()
            return None

        return op

    def close(self) -> None:
        for conn in self.conns:
            conn.close()
        self.conns.clear()


# -- event-sourced paths --------------------------------------------------


class LogGaps:
    """Counts failed inserts (holes in notification ids) in one events table."""

    def __init__(self, url: str, schema: str, table: str) -> None:
        self.url = url
        self.query = sql.SQL(
            "SELECT coalesce(max(notification_id), 0), count(*) FROM {}.{}"
        ).format(sql.Identifier(schema), sql.Identifier(table))

    def _read(self) -> tuple[int, int]:
        with psycopg.connect(self.url, autocommit=True) as conn:
            row = conn.execute(self.query).fetchone()
        assert row is not None
        return int(row[0]), int(row[1])

    @contextlib.contextmanager
    def counting(self, cell: Cell) -> Iterator[None]:
        top, rows = self._read()
        yield
        top2, rows2 = self._read()
        cell.retries = (top2 - top) - (rows2 - rows)


class InProcess:
    name = "in-process"

    def __init__(self, url: str, schema: str, data_dir: Path) -> None:
        self.container: Container = bootstrap(
            Settings(
                database_url=url,
                postgres_schema=schema,
                data_dir=data_dir,
                bootstrap_key=KEY,
            ),
            configure_logging=False,
        )
        self.bus = self.container.bus
        outcome: Any = self.bus.handle(BENCH, CreateTenant(name="bench in-process"))
        self.tenant_id = outcome.view.tenant_id
        self.events_table = EVENTS_TABLE

    def open_pools(self, slugs: list[str]) -> None:
        for slug in dict.fromkeys(slugs):
            self.bus.handle(
                BENCH,
                SetSeatLimit(tenant_id=self.tenant_id, pool=slug, limit=MAX_LIMIT),
            )

    def ops(self, layout: Layout, tag: str) -> list[Op]:
        slugs = layout.pools(tag)
        self.open_pools(slugs)
        return [self.op(slug, f"{tag}-{i}") for i, slug in enumerate(slugs)]

    def op(self, slug: str, prefix: str) -> Op:
        bus, tenant_id = self.bus, self.tenant_id

        def op(seq: int) -> str | None:
            cmd = AssignSeat(
                tenant_id=tenant_id, pool=slug, holder_id=f"{prefix}-{seq}"
            )
            try:
                bus.handle(BENCH, cmd)
            except DomainError as exc:
                return exc.code
            return None

        return op

    def close(self) -> None:
        self.container.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Http:
    name = "HTTP"

    def __init__(self, url: str, schema: str, workdir: Path) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.log = workdir / "server.log"
        port = _free_port()
        env = {
            **os.environ,
            "SEATLEDGER_DATABASE_URL": url,
            "SEATLEDGER_POSTGRES_SCHEMA": schema,
            "SEATLEDGER_DATA_DIR": str(workdir / "data"),
            "SEATLEDGER_BOOTSTRAP_KEY": KEY,
            "SEATLEDGER_LOG_JSON": "true",
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p
            ),
        }
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "infra.cli", "serve", "--port", str(port)],
                env=env,
                cwd=workdir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.base_url = f"http://127.0.0.1:{port}"
        self.headers = {"Authorization": f"Bearer {KEY}"}
        self.clients: list[httpx.Client] = []
        try:
            self._wait_ready()
            with self.client() as c:
                r = c.post("/v1/tenants", json={"name": "bench http"})
                r.raise_for_status()
                self.tenant_id = r.json()["tenant_id"]
        except BaseException:
            self.close()
            raise

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited:\n{self.log_tail()}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.base_url}/readyz", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"server did not get ready:\n{self.log_tail()}")

    def server_exceptions(self) -> Counter[str]:
        """Unhandled exceptions the server logged (tracebacks' last lines)."""
        try:
            lines = self.log.read_text(errors="replace").splitlines()
        except OSError:
            return Counter()
        found: Counter[str] = Counter()
        for line in lines:
            match = EXCEPTION_LINE.match(line.strip())
            if match:
                found[f"{match.group(1)}: {match.group(2)[:200]}"] += 1
        return found

    def log_tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-3000:]
        except OSError as exc:
            return f"(no log: {exc})"

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, headers=self.headers, timeout=30)

    def ops(self, layout: Layout, tag: str) -> list[Op]:
        slugs = layout.pools(tag)
        with self.client() as c:
            for slug in dict.fromkeys(slugs):
                r = c.put(
                    f"/v1/tenants/{self.tenant_id}/seats/{slug}",
                    json={"limit": MAX_LIMIT},
                )
                r.raise_for_status()
        self.close_clients()
        return [self._op(slug, f"{tag}-{i}") for i, slug in enumerate(slugs)]

    def _op(self, slug: str, prefix: str) -> Op:
        client = self.client()
        self.clients.append(client)
        path = f"/v1/tenants/{self.tenant_id}/seats/{slug}/assignments"

        def op(seq: int) -> str | None:
            r = client.post(path, json={"holder_id": f"{prefix}-{seq}"})
            if r.status_code == 201:
                return None
            try:
                return str(r.json()["code"])
            except (ValueError, KeyError, TypeError):
                return f"http_{r.status_code}"

        return op

    def projection_lag(self) -> int | None:
        try:
            with self.client() as c:
                body = c.get("/readyz").json()
            return max(int(p["lag"]) for p in body["projections"])
        except (httpx.HTTPError, ValueError, KeyError, TypeError):
            return None

    def close_clients(self) -> None:
        for c in self.clients:
            c.close()
        self.clients.clear()

    def close(self) -> None:
        self.close_clients()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# -- profile --------------------------------------------------------------


def profile_in_process(app: InProcess, seconds: float, console: Console) -> None:
    """cProfile of one caller on its own pool, in this thread."""
    app.open_pools(["prof"])
    op = app.op("prof", "prof")
    for seq in range(50):  # warm: connections, prepared statements
        op(-seq - 1)
    profiler = cProfile.Profile()
    n = 0
    end = time.perf_counter() + seconds
    profiler.enable()
    while time.perf_counter() < end:
        op(n)
        n += 1
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(30)
    console.print(
        f"\n[bold]cProfile, in-process, 1 caller, {seconds:g} s: {n} ops "
        f"({n / seconds:.0f}/s under the profiler)[/]"
    )
    console.print(out.getvalue(), markup=False, highlight=False)


# -- report ---------------------------------------------------------------


def server_facts(url: str) -> dict[str, str]:
    with psycopg.connect(url, autocommit=True) as conn:
        facts = {}
        for name in (
            "server_version",
            "fsync",
            "synchronous_commit",
            "shared_buffers",
            "max_connections",
        ):
            row = conn.execute(
                sql.SQL("SHOW {}").format(sql.Identifier(name))
            ).fetchone()
            facts[name] = str(row[0]) if row else "?"
    return facts


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def report(cells: list[Cell], server_errors: Counter[str], console: Console) -> None:
    base = {c.layout: c.rate for c in cells if c.path == PlainSql.name}
    table = Table(title="AssignSeat throughput on PostgreSQL", title_justify="left")
    table.add_column("path")
    table.add_column("callers", justify="right")
    table.add_column("pools")
    table.add_column("ops", justify="right")
    table.add_column("ops/s", justify="right")
    table.add_column("p50 ms", justify="right")
    table.add_column("p99 ms", justify="right")
    table.add_column("÷ baseline", justify="right")
    table.add_column("retries", justify="right")
    table.add_column("errors")
    for cell in cells:
        b = base.get(cell.layout)
        if cell.path == PlainSql.name:
            ratio = "1"
        else:
            ratio = f"{cell.rate / b:.3f}" if b else "-"
        errors = ", ".join(f"{k}: {v}" for k, v in cell.errors.most_common()) or "-"
        if cell.note:
            errors = f"{errors} ({cell.note})" if errors != "-" else cell.note
        table.add_row(
            cell.path,
            str(cell.layout.callers),
            cell.layout.label,
            str(cell.ok),
            f"{cell.rate:,.0f}",
            _ms(cell.percentile(0.50)),
            _ms(cell.percentile(0.99)),
            ratio,
            "-" if cell.retries is None else str(cell.retries),
            errors,
        )
    console.print(table)
    console.print(
        "ops: successful operations in the window; p50/p99 over those. "
        "÷ baseline: ops/s over plain SQL's ops/s with the same callers and pool "
        "layout. retries: optimistic-concurrency losses retried inside the ledger "
        "(holes in the event log's ids, whole cell incl. warm-up). errors: failed "
        "operations in the window (concurrency_conflict = retries exhausted). "
        "HTTP: projector lag (events) right after the cell.",
        highlight=False,
    )
    examples: dict[str, str] = {}
    for cell in cells:
        for code, text in cell.examples.items():
            examples.setdefault(f"{cell.path}: {code}", text)
    if examples or server_errors:
        console.print("[bold red]Unexpected exceptions[/]")
        for where, text in examples.items():
            console.print(f"  {where}: {text}", markup=False, highlight=False)
        for line, n in server_errors.most_common(5):
            console.print(
                f"  HTTP server log ({n}x): {line}", markup=False, highlight=False
            )


# -- main -----------------------------------------------------------------


@contextlib.contextmanager
def database(given: str | None) -> Iterator[tuple[str, str]]:
    if given:
        yield given, "given by --database-url"
        return
    started = time.monotonic()
    with throwaway_cluster() as cluster:
        yield (
            cluster.url,
            (
                f"throwaway cluster on port {cluster.port}, up in "
                f"{time.monotonic() - started:.1f} s"
            ),
        )


def drop_schemas(url: str, schemas: list[str]) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for schema in schemas:
            conn.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
                    sql.Identifier(schema)
                )
            )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench.assign_seat",
        description="AssignSeat throughput: plain SQL vs in-process vs HTTP.",
    )
    p.add_argument("--seconds", type=float, default=5.0, help="measured per cell")
    p.add_argument("--warmup", type=float, default=1.0, help="uncounted, per cell")
    p.add_argument(
        "--database-url",
        help="use this PostgreSQL (fresh schemas, dropped afterwards) instead of "
        "a throwaway cluster",
    )
    p.add_argument(
        "--paths",
        default="sql,inproc,http",
        help="comma list of sql, inproc, http (default: all)",
    )
    p.add_argument(
        "--profile",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="also cProfile the in-process path (1 caller) for SECONDS",
    )
    p.add_argument("--keep-schemas", action="store_true")
    args = p.parse_args(argv)
    args.paths = {s.strip() for s in args.paths.split(",") if s.strip()}
    unknown = args.paths - {"sql", "inproc", "http"}
    if unknown:
        p.error(f"unknown paths: {', '.join(sorted(unknown))}")
    if args.seconds <= 0 or args.warmup < 0:
        p.error("--seconds must be > 0 and --warmup >= 0")
    return args


def measure(
    target: PlainSql | InProcess | Http,
    tag: str,
    gaps: LogGaps | None,
    args: argparse.Namespace,
    console: Console,
) -> list[Cell]:
    cells = []
    for layout in LAYOUTS:
        cell = Cell(target.name, layout)
        ops = target.ops(layout, tag)
        console.print(f"  {target.name}: {layout.label} ...", highlight=False)
        with gaps.counting(cell) if gaps else contextlib.nullcontext():
            run_cell(cell, ops, args.warmup, args.seconds)
        if isinstance(target, Http):
            lag = target.projection_lag()
            cell.note = f"lag {lag}" if lag is not None else ""
        cells.append(cell)
    return cells


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    console = Console(width=None if sys.stdout.isatty() else 160)
    # Both service paths run on Settings' defaults: no inherited SEATLEDGER_*
    # (a Kafka address, pool sizes, ...) may change one and not the other.
    ignored = sorted(k for k in os.environ if k.startswith("SEATLEDGER_"))
    for name in ignored:
        del os.environ[name]
    run_id = uuid.uuid4().hex[:8]
    schemas = {k: f"bench_{run_id}_{k}" for k in ("sql", "inproc", "http")}
    cells: list[Cell] = []
    server_errors: Counter[str] = Counter()
    workdir = Path(tempfile.mkdtemp(prefix="seatledger-bench-"))
    started = time.monotonic()
    try:
        with database(args.database_url) as (url, where):
            facts = server_facts(url)
            console.print(
                f"nproc: {len(os.sched_getaffinity(0))} (os.cpu_count: "
                f"{os.cpu_count()})  |  PostgreSQL {facts['server_version']} "
                f"({where}; fsync={facts['fsync']}, synchronous_commit="
                f"{facts['synchronous_commit']}, shared_buffers="
                f"{facts['shared_buffers']})  |  Python {sys.version.split()[0]}"
                f"  |  {args.warmup:g} s warm-up + {args.seconds:g} s per cell",
                highlight=False,
            )
            if ignored:
                console.print(f"ignored from the environment: {', '.join(ignored)}")
            try:
                if "sql" in args.paths:
                    plain = PlainSql(url, schemas["sql"])
                    try:
                        cells += measure(plain, "s", None, args, console)
                    finally:
                        plain.close()
                if "inproc" in args.paths:
                    app = InProcess(url, schemas["inproc"], workdir / "inproc")
                    try:
                        gaps = LogGaps(url, schemas["inproc"], app.events_table)
                        cells += measure(app, "i", gaps, args, console)
                        if args.profile > 0:
                            profile_in_process(app, args.profile, console)
                    finally:
                        app.close()
                if "http" in args.paths:
                    http = Http(url, schemas["http"], workdir / "http")
                    try:
                        gaps = LogGaps(url, schemas["http"], EVENTS_TABLE)
                        cells += measure(http, "h", gaps, args, console)
                    finally:
                        http.close()
                        server_errors = http.server_exceptions()
            finally:
                if args.database_url and not args.keep_schemas:
                    drop_schemas(url, list(schemas.values()))
        report(cells, server_errors, console)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    console.print(f"total {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
