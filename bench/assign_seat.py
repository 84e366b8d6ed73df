"""AssignSeat throughput beside a plain-SQL baseline, issue 10's targets.

On a throwaway PostgreSQL started twice, once with `fsync=off,
synchronous_commit=off` (what the code costs) and once with the server's
defaults (what a durable commit costs), each in the same run:

* plain SQL: psycopg, one transaction per seat (UPDATE ... WHERE used < lim;
  INSERT), N caller threads; and pgbench with the same statements (C client);
* in-process: the command bus's AssignSeat, 1 caller and 8 (8 pools);
* HTTP: `seatledger serve` loaded by wrk, 1 and 8 connections (8 pools).

Then the SQLite embedded default (plain sqlite3, in-process, HTTP), reported,
and the pool-size cell: AssignSeat at 20,000 holders ÷ at 100.

    .venv/bin/python -m bench.assign_seat [--seconds 5] [--quick]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
from rich.console import Console

from bench import report
from bench.http_load import Server, ensure_wrk, wrk_cell
from bench.measure import Cell, CpuMeter, Op, postgres_pids, run_cell
from bench.paths import (
    InProcess,
    PlainSql,
    PlainSqlite,
    pg_settings,
    pgbench,
    sqlite_settings,
)
from bench.pg import server_facts
from bench.pool_size import pool_size_cells
from infra.local.postgres import throwaway_cluster

DURABLE = ("fsync", "synchronous_commit", "full_page_writes")
CALLERS = (1, 8)


def durable(url: str) -> None:
    """The throwaway cluster's fast settings back to the server's defaults
    (ALTER SYSTEM overrides postgresql.conf; all three take a reload)."""
    with psycopg.connect(url, autocommit=True) as conn:
        for name in DURABLE:
            conn.execute(f"ALTER SYSTEM SET {name} = on")
        conn.execute("SELECT pg_reload_conf()")


def facts_line(url: str) -> str:
    return ", ".join(f"{k}={v}" for k, v in server_facts(url).items())


def threaded(
    name: str,
    make_ops: Callable[[int, str], list[Op]],
    pids: Callable[[], dict[str, list[int]]],
    args: argparse.Namespace,
    console: Console,
) -> list[Cell]:
    cells = []
    for callers in CALLERS:
        console.print(f"  {name}: {callers} caller(s) ...", highlight=False)
        cell = Cell(name, callers)
        ops = make_ops(callers, f"{name[:2]}{callers}{time.monotonic_ns()}")
        meter = CpuMeter(pids)
        meter.start()
        run_cell(cell, ops, args.warmup, args.seconds)
        cell.cpu = meter.stop()
        cells.append(cell)
    return cells


def http_cells(
    env: dict[str, str],
    workdir: Path,
    pids: Callable[[], dict[str, list[int]]],
    args: argparse.Namespace,
    console: Console,
) -> list[Cell]:
    server = Server(env, workdir, args.workers)
    try:
        cells = []
        for callers in CALLERS:
            console.print(f"  HTTP: {callers} connection(s) ...", highlight=False)
            tag = f"h{callers}x{time.monotonic_ns()}"
            cell = wrk_cell(server, callers, args.warmup, args.seconds, tag, pids())
            if args.workers > 1:
                cell.path = f"HTTP (wrk), {args.workers} workers"
            cells.append(cell)
        return cells
    finally:
        server.close()
        for line, n in server.exceptions().most_common(3):
            console.print(f"  server log ({n}x): {line}", markup=False)


def postgres_run(
    mode: str, args: argparse.Namespace, workdir: Path, console: Console
) -> list[Cell]:
    cells: list[Cell] = []
    with throwaway_cluster() as pg:
        if mode == "durable":
            durable(pg.url)
        console.print(f"[bold]PostgreSQL, {mode}[/]: {facts_line(pg.url)}")
        me = os.getpid()

        def pids() -> dict[str, list[int]]:
            return {"bench process": [me], "postgres": postgres_pids(str(pg.datadir))}

        if "sql" in args.paths:
            plain = PlainSql(pg.url, "plain")
            cells += threaded(plain.name, plain.ops, pids, args, console)
            if shutil.which("pgbench"):
                for callers in CALLERS:
                    console.print(f"  pgbench: {callers} client(s) ...")
                    cells.append(pgbench(plain, pg.port, callers, args.seconds))
            plain.close()
        if "inproc" in args.paths:
            app = InProcess(pg_settings(pg.url, "inproc", workdir / f"i{mode}"))
            try:
                cells += threaded(app.name, app.ops, pids, args, console)
                if mode == "fast" and not args.no_pool_size:
                    console.print("  pool-size cell (100 and 20,000 holders) ...")
                    cells += pool_size_cells(app, (100, 20_000), args.seconds)
            finally:
                app.close()
        if "http" in args.paths:
            env = {"SEATLEDGER_DATABASE_URL": pg.url}
            env["SEATLEDGER_POSTGRES_SCHEMA"] = "http"
            cells += http_cells(env, workdir / f"h{mode}", pids, args, console)
        _label(cells, f"postgres {mode}")
    return cells


def sqlite_run(args: argparse.Namespace, workdir: Path, console: Console) -> list[Cell]:
    console.print("[bold]SQLite embedded default[/]")
    me = os.getpid()
    cells: list[Cell] = []
    plain = PlainSqlite(workdir / "plain.sqlite")
    cells += threaded(
        plain.name, plain.ops, lambda: {"bench process": [me]}, args, console
    )
    app = InProcess(sqlite_settings(workdir / "sqlite-inproc"))
    try:
        cells += threaded(
            app.name, app.ops, lambda: {"bench process": [me]}, args, console
        )
    finally:
        app.close()
    if "http" in args.paths:
        cells += http_cells({}, workdir / "sqlite-http", lambda: {}, args, console)
    _label(cells, "sqlite")
    return cells


def _label(cells: list[Cell], store: str) -> None:
    for cell in cells:
        cell.store = store


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.assign_seat", description=__doc__)
    p.add_argument("--seconds", type=float, default=5.0, help="measured per cell")
    p.add_argument("--warmup", type=float, default=1.0, help="uncounted, per cell")
    p.add_argument("--quick", action="store_true", help="2 s cells, 0.5 s warm-up")
    p.add_argument("--modes", default="fast,durable", help="PostgreSQL runs")
    p.add_argument("--paths", default="sql,inproc,http")
    p.add_argument("--no-sqlite", action="store_true")
    p.add_argument("--no-pool-size", action="store_true")
    p.add_argument("--workers", type=int, default=1, help="serve --workers N")
    args = p.parse_args(argv)
    if args.quick:
        args.seconds, args.warmup = 2.0, 0.5
    args.modes = [m for m in args.modes.split(",") if m]
    args.paths = set(args.paths.split(","))
    if set(args.modes) - {"fast", "durable"} or args.seconds <= 0:
        p.error("--modes takes fast,durable; --seconds must be > 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    console = Console(width=None if sys.stdout.isatty() else 200)
    for name in [k for k in os.environ if k.startswith("SEATLEDGER_")]:
        del os.environ[name]  # every path on Settings' defaults
    if "http" in args.paths:
        ensure_wrk()
    workdir = Path(tempfile.mkdtemp(prefix="seatledger-bench-"))
    started = time.monotonic()
    console.print(report.machine(args))
    cells: list[Cell] = []
    try:
        for mode in args.modes:
            cells += postgres_run(mode, args, workdir, console)
        if not args.no_sqlite:
            cells += sqlite_run(args, workdir, console)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    report.tables(cells, console)
    console.print(f"total {time.monotonic() - started:.0f} s; {report.load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
