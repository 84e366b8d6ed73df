"""One transaction per batch: check what the batch read, insert its events
and its receipts.

The check runs under the store's write lock (PostgreSQL: the events table's
EXCLUSIVE lock, which every writer takes; SQLite: BEGIN IMMEDIATE), so no
other writer can move an aggregate between the check and the commit: a batch
is saved only if every aggregate it read is still at the version it saw.
Commit order is position order, which is what lets the relay and the
follower tail the log by position without skipping an event.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.persistence import IntegrityError, OperationalError, StoredEvent
from psycopg.sql import SQL, Identifier

from application.ports import Commit, StaleState
from infra.eventstore.persistence import Persistence
from infra.receipts import SELECTED, receipt_row
from infra.receipts import TABLE as RECEIPTS

INSERT_RECEIPT = (
    "INSERT INTO {} (receipt_id, key_id, fingerprint, command_type, status,"
    " decided_at, changed, result_id, result_version, error, position,"
    " recorded_at) VALUES ({})"
)


class Appender(Protocol):
    def append(self, commit: Commit) -> int: ...

    def position_of(self, aggregate_id: UUID, version: int) -> int: ...

    def receipts(self, ids: list[UUID]) -> list[tuple[Any, ...]]: ...


def appender_for(p: Persistence) -> Appender:
    if p.dialect == "sqlite":
        return SqliteAppender(p)
    return PostgresAppender(p)


def _mapped(p: Persistence, commit: Commit) -> list[list[StoredEvent]]:
    """Each change's events as stored: its metadata added, hash-chained."""
    out = []
    for change in commit.changes:
        meta = {
            "actor": change.meta.actor,
            "correlation_id": change.meta.correlation_id,
            "causation_id": change.meta.causation_id,
        }
        stored = []
        for event in change.events:
            tenant = change.owners.get(event.originator_id)
            stored.append(
                p.mapper.stored(
                    event, {**meta, "tenant_id": str(tenant) if tenant else None}
                )
            )
        out.append(stored)
    return out


def _hex(aggregate_id: UUID | str) -> str:
    return aggregate_id.hex if isinstance(aggregate_id, UUID) else aggregate_id


def _moved(reads: dict[UUID, int], found: dict[UUID, int]) -> set[UUID]:
    return {i for i, version in reads.items() if found.get(i, 0) != version}


def _place(
    commit: Commit, mapped: list[list[StoredEvent]], ids: Sequence[int], head: int
) -> None:
    """Each change's position: its last event's, or the head; receipts too."""
    at = 0
    for change, stored in zip(commit.changes, mapped, strict=True):
        at += len(stored)
        change.position = ids[at - 1] if stored else head
        if change.receipt is not None:
            change.receipt.position = change.position


class _Chained:
    """Hashes computed for a batch join the chain's cache only once the batch
    committed; a refused batch leaves none behind."""

    def __init__(self, p: Persistence) -> None:
        self.p = p

    def append(self, commit: Commit) -> int:
        chain = self.p.mapper.chain
        if chain is not None:
            chain.begin()
        try:
            head = self._save(commit, _mapped(self.p, commit))
        except IntegrityError as exc:
            # A receipt or an event another writer recorded first.
            ids = set(commit.reads) | {
                e.originator_id for c in commit.changes for e in c.events
            }
            raise StaleState(ids) from exc
        if chain is not None:
            chain.committed()
        return head

    def _save(self, commit: Commit, mapped: list[list[StoredEvent]]) -> int:
        raise NotImplementedError


class PostgresAppender(_Chained):
    def __init__(self, p: Persistence) -> None:
        super().__init__(p)
        rec: Any = p.recorder
        self.rec = rec
        schema, table = rec.datastore.schema, rec.events_table_name
        self.events = SQL("{}.{}").format(Identifier(schema), Identifier(table))
        self.check = SQL(
            "SELECT originator_id, MAX(originator_version) AS version FROM {}"
            " WHERE originator_id = ANY(%s) GROUP BY originator_id"
        ).format(self.events)
        self.position = SQL(
            "SELECT notification_id FROM {}"
            " WHERE originator_id = %s AND originator_version = %s"
        ).format(self.events)
        receipts = SQL("{}.{}").format(Identifier(schema), Identifier(RECEIPTS))
        marks = ",".join(["%s"] * 12)
        self.insert_receipt = SQL(INSERT_RECEIPT.format("{}", marks)).format(receipts)
        self.select_receipts = SQL(
            "SELECT " + SELECTED + " FROM {} WHERE receipt_id = ANY(%s)"
        ).format(receipts)

    def _save(self, commit: Commit, mapped: list[list[StoredEvent]]) -> int:
        rec = self.rec
        events = [
            rec.construct_pg_stored_event(
                s.originator_id, s.originator_version, s.topic, s.state
            )
            for stored in mapped
            for s in stored
        ]
        reads = list(commit.reads)
        with rec.datastore.get_connection() as conn, conn.transaction():
            with conn.pipeline():
                with conn.cursor() as lock:
                    for statement in rec.lock_table_statements:
                        lock.execute(statement, prepare=True)
                check = conn.cursor()
                if reads:
                    check.execute(self.check, (reads,), prepare=True)
                insert = conn.cursor()
                if events:
                    insert.execute(rec.insert_events_statement, (events,), prepare=True)
                else:
                    insert.execute(rec.max_notification_id_statement)
            found = (
                {r["originator_id"]: r["version"] for r in check.fetchall()}
                if reads
                else {}
            )
            moved = _moved(commit.reads, found)
            if moved:
                raise StaleState(moved)  # rolls the transaction back
            rows = insert.fetchall()
            ids = [r["notification_id"] for r in rows] if events else []
            head = ids[-1] if ids else int(rows[0]["max"] or 0)
            _place(commit, mapped, ids, head)
            receipts = [receipt_row(c.receipt) for c in commit.changes if c.receipt]
            if receipts:
                with conn.cursor() as cur:
                    cur.executemany(self.insert_receipt, receipts)
        return head

    def position_of(self, aggregate_id: UUID, version: int) -> int:
        with self.rec.datastore.get_connection() as conn, conn.cursor() as cur:
            cur.execute(self.position, (aggregate_id, version), prepare=True)
            row = cur.fetchone()
        return int(row["notification_id"]) if row else 0

    def receipts(self, ids: list[UUID]) -> list[tuple[Any, ...]]:
        with self.rec.datastore.get_connection() as conn, conn.cursor() as cur:
            cur.execute(self.select_receipts, ([str(i) for i in ids],), prepare=True)
            return [tuple(row.values()) for row in cur.fetchall()]


class SqliteAppender(_Chained):
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
        conn = self._connection()
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:  # locked past the timeout
            raise OperationalError(exc) from exc
        try:
            head = self._write(conn, commit, mapped)
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
        return head

    def _write(
        self, conn: sqlite3.Connection, commit: Commit, mapped: list[list[StoredEvent]]
    ) -> int:
        found: dict[UUID, int] = {}
        reads = [i.hex for i in commit.reads]
        for start in range(0, len(reads), 500):
            chunk = reads[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for oid, version in conn.execute(
                f"SELECT originator_id, MAX(originator_version) FROM {self.table}"
                f" WHERE originator_id IN ({marks}) GROUP BY originator_id",
                chunk,
            ):
                found[UUID(hex=oid)] = int(version)
        moved = _moved(commit.reads, found)
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
                    (_hex(s.originator_id), s.originator_version, s.topic, s.state),
                )
                ids.append(int(cur.lastrowid or 0))
        head = (
            ids[-1]
            if ids
            else int(
                conn.execute(f"SELECT MAX(rowid) FROM {self.table}").fetchone()[0] or 0
            )
        )
        _place(commit, mapped, ids, head)
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
