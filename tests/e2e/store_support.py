"""Read-only access to a running server's own database, for tests that must
see what is (or is not) stored: the SQLite file or the PostgreSQL schema."""

from __future__ import annotations

import json
import sqlite3
import uuid
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.e2e.conftest import Server


@dataclass
class Store:
    path: Path | None = None
    pg_url: str = ""
    schema: str = ""

    def rows(self, q: str, *args: Any) -> list[tuple[Any, ...]]:
        if self.path is not None:
            with closing(sqlite3.connect(self.path)) as con:
                return con.execute(q.replace("%s", "?"), args).fetchall()
        opts = f"-c search_path={self.schema}"
        with psycopg.connect(self.pg_url, options=opts) as conn:
            return conn.execute(q, args).fetchall()

    @property
    def events_table(self) -> str:
        return "stored_events" if self.path else "seatledger_events"

    def tables(self) -> dict[str, list[tuple[Any, ...]]]:
        if self.path:
            names = self.rows("SELECT name FROM sqlite_master WHERE type = 'table'")
        else:
            q = "SELECT table_name FROM information_schema.tables WHERE table_schema=%s"
            names = self.rows(q, self.schema)
        return {n: self.rows(f'SELECT * FROM "{n}"') for (n,) in names}

    def events(self) -> list[tuple[int, str, str, dict[str, Any]]]:
        """(position, originator id, topic, decoded state), in order."""
        pos = "rowid" if self.path else "notification_id"
        q = f"SELECT {pos}, originator_id, topic, state FROM {self.events_table}"
        return sorted(
            (int(p), str(uuid.UUID(str(o))), t, json.loads(bytes(s)))
            for p, o, t, s in self.rows(q)
        )


def store_of(server: Server, backend: str, request: pytest.FixtureRequest) -> Store:
    """The store the server process was started on (from its environment)."""
    environ = Path(f"/proc/{server.process.pid}/environ").read_bytes().split(b"\0")
    env = dict(e.decode().split("=", 1) for e in environ if b"=" in e)
    if backend == "sqlite":
        return Store(Path(env["SEATLEDGER_DATA_DIR"]) / "seatledger.sqlite")
    pg = request.getfixturevalue("pg_url")
    return Store(pg_url=pg, schema=env["SEATLEDGER_POSTGRES_SCHEMA"])
