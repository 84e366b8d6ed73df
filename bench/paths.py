"""What one assignment is on each thread-driven path: plain SQL (psycopg,
pgbench, sqlite3) and the command bus in this process."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from application.auth import Principal, Role
from bench.measure import Cell, Op, load1
from domain.commands import AssignSeat, CreateTenant, SetSeatLimit
from domain.common import MAX_LIMIT
from domain.errors import DomainError
from infra.bootstrap import Container, bootstrap
from infra.settings import Settings

KEY = "bench-operator-key-0123456789abcdef"
BENCH = Principal("bench", Role.OPERATOR)
UPDATE = "UPDATE {}bench_pool SET used = used + 1 WHERE id = {} AND used < lim"
INSERT = "INSERT INTO {}bench_assignment (pool_id, holder_id) VALUES ({}, {})"
TABLES = (
    "CREATE TABLE {}bench_pool (id int PRIMARY KEY, used int NOT NULL,"
    " lim int NOT NULL)",
    "CREATE TABLE {}bench_assignment (pool_id int NOT NULL, holder_id text"
    " NOT NULL, PRIMARY KEY (pool_id, holder_id))",
)


class PlainSql:
    """psycopg, one transaction per seat: the UPDATE that takes a seat if
    one is left, then the INSERT of the holder; rolled back when full."""

    name = "plain SQL"

    def __init__(self, url: str, schema: str) -> None:
        self.url, self.schema = url, schema
        self.next_pool = 0
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
            for table in TABLES:
                conn.execute(table.format(f'"{schema}".'))
        self.update = UPDATE.format(f'"{schema}".', "%s")
        self.insert = INSERT.format(f'"{schema}".', "%s", "%s")
        self.conns: list[psycopg.Connection[Any]] = []

    def new_pools(self, n: int) -> list[int]:
        ids = list(range(self.next_pool + 1, self.next_pool + n + 1))
        self.next_pool += n
        with psycopg.connect(self.url, autocommit=True) as conn, conn.cursor() as cur:
            cur.executemany(
                sql.SQL("INSERT INTO {}.bench_pool VALUES (%s, 0, %s)").format(
                    sql.Identifier(self.schema)
                ),
                [(i, MAX_LIMIT) for i in ids],
            )
        return ids

    def ops(self, callers: int, tag: str) -> list[Op]:
        self.close()
        return [self._op(p, f"{tag}-{p}") for p in self.new_pools(callers)]

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


def pgbench(plain: PlainSql, port: int, callers: int, seconds: float) -> Cell:
    """The same two statements from pgbench (C, one connection per client,
    each on its own pool): the baseline without a Python client's cost."""
    first = plain.new_pools(callers)[0]
    script = (
        f"BEGIN;\n{plain.update.replace('%s', f'{first - 1} + :client_id + 1')};\n"
        f"{plain.insert.replace('%s, %s', f'{first - 1} + :client_id + 1, md5(random()::text)')};\n"  # noqa: E501
        "COMMIT;\n"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        f.write(script)
    done = subprocess.run(
        [
            *("pgbench", "-n", "-M", "prepared", "-f", f.name),
            *(
                "-c",
                str(callers),
                "-j",
                str(callers),
                "-T",
                str(max(1, round(seconds))),
            ),
            *("-h", "127.0.0.1", "-p", str(port), "-U", "seatledger", "seatledger"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    Path(f.name).unlink()
    cell = Cell("plain SQL (pgbench)", callers, load=load1())
    tps = re.search(r"tps = ([\d.]+)", done.stdout)
    latency = re.search(r"latency average = ([\d.]+) ms", done.stdout)
    if tps is None:
        cell.errors["pgbench"] += 1
        cell.examples["pgbench"] = (done.stdout + done.stderr)[-300:]
        return cell
    cell.seconds = max(1, round(seconds))
    cell.ok = round(float(tps.group(1)) * cell.seconds)
    cell.p50_ms = float(latency.group(1)) if latency else None  # the mean
    cell.note = "p50 column: pgbench's mean"
    return cell


class PlainSqlite:
    """sqlite3, one transaction per seat, WAL like the embedded store."""

    name = "plain SQL (sqlite3)"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.next_pool = 0
        with sqlite3.connect(path) as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            for table in TABLES:
                conn.execute(table.format(""))

    def ops(self, callers: int, tag: str) -> list[Op]:
        ops = []
        for _ in range(callers):
            self.next_pool += 1
            with sqlite3.connect(self.path) as conn:
                conn.execute(
                    "INSERT INTO bench_pool VALUES (?, 0, ?)",
                    (self.next_pool, MAX_LIMIT),
                )
            ops.append(self._op(self.next_pool, f"{tag}-{self.next_pool}"))
        return ops

    def _op(self, pool: int, prefix: str) -> Op:
        conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        update, insert = UPDATE.format("", "?"), INSERT.format("", "?", "?")

        def op(seq: int) -> str | None:
            with conn:  # BEGIN (deferred) ... COMMIT
                if conn.execute(update, (pool,)).rowcount != 1:
                    return "pool_full"
                conn.execute(insert, (pool, f"{prefix}-{seq}"))
            return None

        return op


class InProcess:
    """The command bus's AssignSeat on a container of this process."""

    name = "in-process"

    def __init__(self, settings: Settings) -> None:
        self.container: Container = bootstrap(settings, configure_logging=False)
        self.bus = self.container.bus
        outcome: Any = self.bus.handle(BENCH, CreateTenant(name="bench in-process"))
        self.tenant_id = outcome.view.tenant_id
        self.serial = 0

    def open_pools(self, n: int) -> list[str]:
        slugs = []
        for _ in range(n):
            self.serial += 1
            slug = f"p{self.serial}"
            cmd = SetSeatLimit(tenant_id=self.tenant_id, pool=slug, limit=MAX_LIMIT)
            self.bus.handle(BENCH, cmd)
            slugs.append(slug)
        return slugs

    def ops(self, callers: int, tag: str) -> list[Op]:
        return [self.op(slug, f"{tag}-{slug}") for slug in self.open_pools(callers)]

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


def pg_settings(url: str, schema: str, data_dir: Path) -> Settings:
    return Settings(
        database_url=url, postgres_schema=schema, data_dir=data_dir, bootstrap_key=KEY
    )


def sqlite_settings(data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir, bootstrap_key=KEY)
