"""The batch transaction on PostgreSQL: the events table's EXCLUSIVE lock
(which every writer takes), the freshness check, the events and the receipts,
pipelined; a dead pooled connection renews the pool and, when nothing can
have been committed, the batch is tried again at once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from psycopg.sql import SQL, Identifier

from application.ports import Commit, StaleState
from infra import pg_pools
from infra.eventstore.appender import (
    INSERT_RECEIPT,
    Chained,
    Held,
    moved_since,
    place,
)
from infra.eventstore.persistence import Persistence
from infra.receipts import SELECTED, receipt_row
from infra.receipts import TABLE as RECEIPTS


class PostgresAppender(Chained):
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
        sent: list[bool] = []
        try:
            return self._transaction(commit, mapped, sent)
        except (InterfaceError, OperationalError) as exc:
            if not pg_pools.lost_connection(exc):
                raise
            # Its connection died (server restarted, backend terminated): the
            # others in the pool most likely did too; renew them all.
            pg_pools.purge(self.rec.datastore.pool)
            if sent:
                # Lost while committing: it may have landed. A second attempt
                # could answer differently from what was recorded; the caller
                # hears "unavailable" and retries with its idempotency key.
                raise
            # Lost before the commit was sent: nothing was recorded, so the
            # batch is tried again at once on a fresh connection.
            return self._transaction(commit, mapped, sent)

    def _transaction(
        self, commit: Commit, mapped: list[list[StoredEvent]], sent: list[bool]
    ) -> int:
        rec = self.rec
        events = self.events_of(mapped)
        reads = list(commit.reads)
        with rec.datastore.get_connection() as conn, conn.transaction():
            # One round trip: lock, check, insert, pipelined.
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
            moved = moved_since(commit.reads, found)
            if moved:
                raise StaleState(moved)  # rolls the transaction back
            head = self._inserted(conn, commit, mapped, insert.fetchall(), events)
            sent.append(True)  # leaving the block sends COMMIT
        return head

    def _inserted(
        self,
        conn: Any,
        commit: Commit,
        mapped: list[list[StoredEvent]],
        rows: list[Any],
        events: list[Any],
    ) -> int:
        """Positions from the insert's answer; the receipts written."""
        ids = [r["notification_id"] for r in rows] if events else []
        head = ids[-1] if ids else int(rows[0]["max"] or 0)
        place(commit, mapped, ids, head)
        receipts = [receipt_row(c.receipt) for c in commit.changes if c.receipt]
        if receipts:
            with conn.cursor() as cur:
                cur.executemany(self.insert_receipt, receipts)
        return head

    def events_of(self, mapped: list[list[StoredEvent]]) -> list[Any]:
        return [
            self.rec.construct_pg_stored_event(
                s.originator_id, s.originator_version, s.topic, s.state
            )
            for stored in mapped
            for s in stored
        ]

    @contextmanager
    def exclusive(self) -> Iterator[Held]:
        """The store's write lock, held while the caller decides and saves:
        no other writer commits meanwhile, so what it loads stays fresh."""
        rec = self.rec
        with rec.datastore.get_connection() as conn, conn.transaction():
            with conn.cursor() as cur:
                for statement in rec.lock_table_statements:
                    cur.execute(statement, prepare=True)
            held = _Held(self, conn)
            yield held
        if held.appended:
            self.committed()

    def _read(self, query: Any, params: Any) -> list[dict[str, Any]]:
        """One read, tried again at once on a fresh connection when its
        connection turns out to be dead (the pool is renewed on the way)."""
        for attempt in (1, 2):
            try:
                with (
                    self.rec.datastore.get_connection() as conn,
                    conn.cursor() as cur,
                ):
                    cur.execute(query, params, prepare=True)
                    return list(cur.fetchall())
            except (InterfaceError, OperationalError) as exc:
                if attempt == 2 or not pg_pools.lost_connection(exc):
                    raise
                pg_pools.purge(self.rec.datastore.pool)
        raise AssertionError("unreachable")

    def position_of(self, aggregate_id: UUID, version: int) -> int:
        rows = self._read(self.position, (aggregate_id, version))
        return int(rows[0]["notification_id"]) if rows else 0

    def receipts(self, ids: list[UUID]) -> list[tuple[Any, ...]]:
        rows = self._read(self.select_receipts, ([str(i) for i in ids],))
        return [tuple(row.values()) for row in rows]


class _Held:
    """Saves inside a transaction that already holds the write lock."""

    def __init__(self, appender: PostgresAppender, conn: Any) -> None:
        self.appender = appender
        self.conn = conn
        self.appended = False

    def append(self, commit: Commit) -> int:
        a = self.appender
        mapped = a.mapped(commit)
        with self.conn.cursor() as cur:
            if commit.reads:
                cur.execute(a.check, (list(commit.reads),), prepare=True)
                found = {r["originator_id"]: r["version"] for r in cur.fetchall()}
                moved = moved_since(commit.reads, found)
                if moved:  # only an aggregate this process had cached stale
                    raise StaleState(moved)
            events = a.events_of(mapped)
            if events:
                cur.execute(a.rec.insert_events_statement, (events,), prepare=True)
            else:
                cur.execute(a.rec.max_notification_id_statement)
            rows = cur.fetchall()
        head = a._inserted(self.conn, commit, mapped, rows, events)
        self.appended = True
        return head
