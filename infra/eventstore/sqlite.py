"""The batch transaction on SQLite: BEGIN IMMEDIATE (the one writer), the
freshness check, the events and the receipts, on the committer's own
connection to the database file."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, OperationalError, StoredEvent

from application.ports import Commit, StaleState
from infra.eventstore.appender import (
    INSERT_RECEIPT,
    Chained,
    Held,
    hex_id,
    moved_since,
    place,
)
from infra.eventstore.persistence import Persistence
from infra.receipts import SELECTED, receipt_row
from infra.receipts import TABLE as RECEIPTS


class SqliteAppender(Chained):
    def __init__(self, p: Persistence) -> None:
        super().__init__(p)
        rec: Any = p.recorder
        self.rec = rec
        self.table = rec.events_table_name
        self.path = rec.datastore.pool.db_name
        self.timeout = rec.datastore.pool.lock_timeout or 5
        self._conn: sqlite3.Connection | None = None
        self.insert_receipt = INSERT_RECEIPT.format(RECEIPTS, ",".join(["?"] * 12))

    def _connection(self) -> sqlite3.Connection:
        # Only the bus's committer thread appends.
        if self._conn is None:
            self._conn = sqlite3.connect(
                self.path,
                timeout=self.timeout,
                isolation_level=None,
                check_same_thread=False,
            )
        return self._conn

    def _save(self, commit: Commit, mapped: list[list[StoredEvent]]) -> int:
        with self._locked() as conn:
            return self._write(conn, commit, mapped)

    @contextmanager
    def _locked(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE (the one writer) ... COMMIT, or ROLLBACK."""
        conn = self._connection()
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:  # locked past the timeout
            raise OperationalError(exc) from exc
        try:
            yield conn
            conn.execute("COMMIT")
        except sqlite3.IntegrityError as exc:
            conn.execute("ROLLBACK")
            raise IntegrityError(exc) from exc
        except sqlite3.OperationalError as exc:
            conn.execute("ROLLBACK")
            raise OperationalError(exc) from exc
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    @contextmanager
    def exclusive(self) -> Iterator[Held]:
        """The write lock, held while the caller decides and saves."""
        held = _Held(self)
        try:
            with self._locked() as conn:
                held.conn = conn
                yield held
        except IntegrityError as exc:
            raise StaleState(set()) from exc
        if held.appended:
            self.committed()

    def _write(
        self, conn: sqlite3.Connection, commit: Commit, mapped: list[list[StoredEvent]]
    ) -> int:
        # One indexed MAX per aggregate: its cost does not grow with the
        # aggregate's history (a MAX ... GROUP BY over IN (...) read every
        # event of every aggregate the batch read, under the write lock).
        latest = (
            f"SELECT MAX(originator_version) FROM {self.table} WHERE originator_id = ?"
        )
        found: dict[UUID, int] = {}
        for aggregate_id in commit.reads:
            (version,) = conn.execute(latest, (aggregate_id.hex,)).fetchone()
            if version is not None:
                found[aggregate_id] = int(version)
        moved = moved_since(commit.reads, found)
        if moved:
            raise StaleState(moved)
        ids = []
        insert = (
            f"INSERT INTO {self.table} (originator_id, originator_version, topic,"
            " state) VALUES (?,?,?,?)"
        )
        for stored in mapped:
            for s in stored:
                cur = conn.execute(
                    insert,
                    (hex_id(s.originator_id), s.originator_version, s.topic, s.state),
                )
                ids.append(int(cur.lastrowid or 0))
        head = (
            ids[-1]
            if ids
            else int(
                conn.execute(f"SELECT MAX(rowid) FROM {self.table}").fetchone()[0] or 0
            )
        )
        place(commit, mapped, ids, head)
        receipts = [receipt_row(c.receipt) for c in commit.changes if c.receipt]
        if receipts:
            conn.executemany(self.insert_receipt, receipts)
        return head

    def receipts(self, ids: list[UUID]) -> list[tuple[Any, ...]]:
        conn = self._connection()
        found: list[tuple[Any, ...]] = []
        for start in range(0, len(ids), 500):
            chunk = [str(i) for i in ids[start : start + 500]]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT {SELECTED} FROM {RECEIPTS} WHERE receipt_id IN ({marks})"
            found.extend(tuple(row) for row in conn.execute(query, chunk))
        return found

    def position_of(self, aggregate_id: UUID, version: int) -> int:
        with self.rec.datastore.transaction(commit=False) as cur:
            cur.execute(
                f"SELECT rowid FROM {self.table} WHERE originator_id = ?"
                " AND originator_version = ?",
                (aggregate_id.hex, version),
            )
            row = cur.fetchone()
        return int(row[0]) if row else 0


class _Held:
    """Saves inside the transaction that holds the write lock."""

    def __init__(self, appender: SqliteAppender) -> None:
        self.appender = appender
        self.conn: sqlite3.Connection | None = None
        self.appended = False

    def append(self, commit: Commit) -> int:
        assert self.conn is not None
        head = self.appender._write(self.conn, commit, self.appender.mapped(commit))
        self.appended = True
        return head
