"""The service's own tables (projections, positions, idempotency) beside the events.

One small interface over SQLite and PostgreSQL: SQL is written with `?`
placeholders and portable upserts (`ON CONFLICT ... DO UPDATE`), and each
backend adapts the placeholders.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol

import psycopg
from psycopg_pool import ConnectionPool

from infra import pg_pools
from projections.sql import Row, Tx


class Database(Protocol):
    dialect: str

    def transaction(self) -> AbstractContextManager[Tx]: ...

    def batch(self) -> AbstractContextManager[Tx]:
        """A transaction for statements that only write (a projection
        batch): PostgreSQL pipelines them, one round trip instead of one per
        statement; an error surfaces at the next read or at the commit."""
        ...

    def read(self) -> AbstractContextManager[Tx]: ...

    def close(self) -> None: ...


class _SqliteTx:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return self._conn.execute(sql, tuple(params)).fetchall()

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._conn.executemany(sql, [tuple(r) for r in rows])


class SqliteDatabase:
    dialect = "sqlite"

    def __init__(self, path: Path, timeout_s: float = 5.0) -> None:
        self.path = path
        self._timeout = timeout_s
        self._local = threading.local()

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, timeout=self._timeout, isolation_level=None
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        conn = self._conn()
        # IMMEDIATE takes the write lock up front, so a read-then-write
        # transaction never fails half-way on a lock upgrade.
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield _SqliteTx(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def batch(self) -> AbstractContextManager[Tx]:
        return self.transaction()  # in-process calls: nothing to pipeline

    @contextmanager
    def read(self) -> Iterator[Tx]:
        yield _SqliteTx(self._conn())

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


class _PgTx:
    row_lock = " FOR UPDATE"

    def __init__(self, conn: Any, pipelined: bool = False) -> None:
        self._conn = conn
        self._pipelined = pipelined

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        query = sql.replace("?", "%s")
        if self._pipelined:
            cur = self._conn.execute(query, tuple(params))
            if _answers(sql):
                return list(cur.fetchall())  # waits for it (and all before)
            # Queued: sent with the next read or the commit, whose wait
            # raises the statement's error, if any (the batch rolls back).
            return []
        cur = self._conn.execute(query, tuple(params))
        return list(cur.fetchall()) if cur.description else []

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self._conn.cursor() as cur:
            cur.executemany(sql.replace("?", "%s"), [tuple(r) for r in rows])


def _answers(sql: str) -> bool:
    """Whether a statement returns rows (a read, or a write with RETURNING)."""
    head = sql.lstrip()[:6].upper()
    return head in ("SELECT", "WITH R", "WITH (") or "RETURNING" in sql.upper()


class PostgresDatabase:
    dialect = "postgres"

    def __init__(
        self,
        url: str,
        schema: str,
        size: int = 10,
        timeout_s: float = 5.0,
        reconnect_s: float = 1.0,
        kick_s: float = 1.0,
    ) -> None:
        self.schema = schema
        # Checked like the event store's pool (infra/pg_pools.py): no
        # pre-ping, a purge of the whole pool when a connection is found dead.
        self.pool = ConnectionPool(
            url,
            min_size=1,
            max_size=size,
            kwargs={"options": f"-c search_path={schema}"},
            open=True,
            timeout=timeout_s,
        )
        pg_pools.tune(self.pool, reconnect_s, kick_s)

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        with self._renewing(), self.pool.connection() as conn, conn.transaction():
            yield _PgTx(conn)

    @contextmanager
    def batch(self) -> Iterator[Tx]:
        with (
            self._renewing(),
            self.pool.connection() as conn,
            conn.pipeline(),
            conn.transaction(),
        ):
            yield _PgTx(conn, pipelined=True)

    @contextmanager
    def read(self) -> Iterator[Tx]:
        with self._renewing(), self.pool.connection() as conn:
            yield _PgTx(conn)

    @contextmanager
    def _renewing(self) -> Iterator[None]:
        """A call that finds its connection dead purges the pool, so the
        caller's next attempt (at once) meets a live one. The body cannot be
        run again from here: the failure still reaches the caller, who keeps
        its own guarantee (nothing of the transaction was committed)."""
        try:
            yield
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            if pg_pools.lost_connection(exc):
                pg_pools.purge(self.pool)
            raise

    def close(self) -> None:
        self.pool.close()
