"""The two shadows, side by side: they differ only in where their tables live
(PostgreSQL: a schema beside the live one; SQLite: a file beside the live
one) and how rows cross over into the live tables."""

from __future__ import annotations

import fcntl
import os
import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, closing, contextmanager
from pathlib import Path
from typing import Any, Protocol

import psycopg
from psycopg import sql

from infra.bootstrap import Container
from infra.db import PostgresDatabase, SqliteDatabase
from infra.private_files import private_file
from infra.replay.tracking import _RAISE_POSITION, TRACKING
from projections.registry import create_tables
from projections.sql import Row, Tx

LOCK_TIMEOUT_S = 30
COPY_CHUNK = 5000
_ROWS = re.compile(r"^\s*(SELECT|WITH)\b|\bRETURNING\b", re.IGNORECASE)


class ReplayBusy(RuntimeError):
    """Another replay of the same store is running."""


class Shadow(Protocol):
    @property
    def where(self) -> str: ...

    def transaction(self) -> AbstractContextManager[Tx]: ...

    def lock_live(self, tx: Tx, tables: Sequence[str]) -> None: ...

    def copy_into(self, tx: Tx, table: str) -> None: ...

    def positions_into(self, tx: Tx) -> None: ...

    def close(self) -> None: ...


class _PipelinedTx:
    """The shadow's statements go out without waiting for each answer
    (psycopg's pipeline mode): projections only write, so nothing needs one;
    a statement that asks for rows waits for them. An error surfaces at the
    next sync, at the latest the commit, and fails the batch."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._cursor = conn.cursor()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        self._cursor.execute(sql.replace("?", "%s"), tuple(params))
        return self._cursor.fetchall() if _ROWS.search(sql) else []

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._cursor.executemany(sql.replace("?", "%s"), [tuple(r) for r in rows])


class PgShadow:
    """A schema beside the live one; rows cross over inside the server."""

    def __init__(self, url: str, live_schema: str) -> None:
        self.schema = f"{live_schema}_replay"
        self.where = f"schema {self.schema}"
        self._quoted = '"' + self.schema.replace('"', '""') + '"'
        # Held for the whole run: the advisory lock lives as long as it.
        self._guard = psycopg.connect(url, autocommit=True)
        key = f"seatledger-replay:{live_schema}"
        row = self._guard.execute(
            "SELECT pg_try_advisory_lock(hashtext(%s))", (key,)
        ).fetchone()
        if not row or not row[0]:
            self._guard.close()
            raise ReplayBusy(f"another replay of schema {live_schema} is running")
        self._drop()
        self._guard.execute(
            sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(self.schema))
        )
        self.db = PostgresDatabase(url, self.schema, size=2)
        with self.db.transaction() as tx:
            create_tables(tx)

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        with self.db.pool.connection() as conn, conn.pipeline(), conn.transaction():
            yield _PipelinedTx(conn)

    def _drop(self) -> None:
        self._guard.execute(
            sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(
                sql.Identifier(self.schema)
            )
        )

    def lock_live(self, tx: Tx, tables: Sequence[str]) -> None:
        # EXCLUSIVE blocks INSERT/UPDATE/DELETE, not SELECT: readers go on.
        tx.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT_S}s'")
        tx.execute(f"LOCK TABLE {', '.join(tables)} IN EXCLUSIVE MODE")

    def copy_into(self, tx: Tx, table: str) -> None:
        tx.execute(f"DELETE FROM {table}")
        tx.execute(f"INSERT INTO {table} SELECT * FROM {self._quoted}.{table}")

    def positions_into(self, tx: Tx) -> None:
        rows = f"SELECT tenant_id, position FROM {self._quoted}.{TRACKING[0]}"
        tx.execute(_RAISE_POSITION.format(rows=rows))

    def close(self) -> None:
        self.db.close()
        try:
            self._drop()
        finally:
            self._guard.close()


class SqliteShadow:
    """A database file beside the live one; rows cross over in chunks."""

    def __init__(self, live: Path) -> None:
        self.path = live.with_name(f"{live.stem}.replay{live.suffix}")
        self.where = f"file {self.path}"
        lock = live.with_name(f"{live.stem}.replay.lock")
        self._guard = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self._guard, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._guard)
            raise ReplayBusy(f"another replay of {live} is running") from None
        self._drop()
        private_file(self.path)  # projections hold emails: 0600, like the live file
        self.db = SqliteDatabase(self.path)
        with self.db.transaction() as tx:
            create_tables(tx)

    def transaction(self) -> AbstractContextManager[Tx]:
        return self.db.transaction()

    def _drop(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    def lock_live(self, tx: Tx, tables: Sequence[str]) -> None:
        pass  # the transaction's BEGIN IMMEDIATE holds the write lock already

    def _stream(self, query: str) -> Iterator[list[tuple[Any, ...]]]:
        with closing(sqlite3.connect(self.path)) as conn:
            cursor = conn.execute(query)
            while rows := cursor.fetchmany(COPY_CHUNK):
                yield rows

    def copy_into(self, tx: Tx, table: str) -> None:
        tx.execute(f"DELETE FROM {table}")
        for rows in self._stream(f"SELECT * FROM {table}"):
            marks = ", ".join("?" * len(rows[0]))
            tx.executemany(f"INSERT INTO {table} VALUES ({marks})", rows)

    def positions_into(self, tx: Tx) -> None:
        upsert = _RAISE_POSITION.format(rows="VALUES (?, ?)")
        for rows in self._stream(f"SELECT tenant_id, position FROM {TRACKING[0]}"):
            tx.executemany(upsert, rows)

    def close(self) -> None:
        self.db.close()
        self._drop()
        os.close(self._guard)  # releases the lock


@contextmanager
def open_shadow(container: Container) -> Iterator[Shadow]:
    db = container.db
    shadow: Shadow
    if isinstance(db, PostgresDatabase):
        assert container.settings.database_url is not None
        shadow = PgShadow(container.settings.database_url, db.schema)
    elif isinstance(db, SqliteDatabase):
        shadow = SqliteShadow(db.path)
    else:
        raise TypeError(f"no shadow for {type(db).__name__}")
    try:
        yield shadow
    finally:
        shadow.close()
