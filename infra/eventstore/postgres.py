"""The batch transaction on PostgreSQL: the events table's EXCLUSIVE lock
(which every writer takes), the freshness check, the events and the receipts,
pipelined; a dead pooled connection renews the pool and, when nothing can
have been committed, the batch is tried again at once."""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from psycopg.pq import TransactionStatus
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

BEGIN = "BEGIN"
COMMIT = "COMMIT"


def _text(statement: Any) -> Any:
    """A composed statement as the plain string it renders to."""
    return statement.as_string() if hasattr(statement, "as_string") else statement


def _roll_back(conn: Any) -> None:
    """Ends a failed batch's transaction (a broken connection has none left:
    the pool replaces it)."""
    if conn.closed or conn.info.transaction_status == TransactionStatus.IDLE:
        return
    with contextlib.suppress(psycopg.Error):
        conn.execute("ROLLBACK")


class PostgresAppender(Chained):
    def __init__(self, p: Persistence) -> None:
        super().__init__(p)
        rec: Any = p.recorder
        self.rec = rec
        schema, table = rec.datastore.schema, rec.events_table_name
        self.events = SQL("{}.{}").format(Identifier(schema), Identifier(table))
        # Each aggregate's latest version by one backward step on the primary
        # key: the cost does not grow with its history (MAX ... GROUP BY over
        # ANY(...) read all 20,000 events of a big pool, 14 ms, under the
        # table lock that every writer waits for).
        self.check = SQL(
            "SELECT r.id AS originator_id, (SELECT e.originator_version FROM {} e"
            " WHERE e.originator_id = r.id ORDER BY e.originator_version DESC"
            " LIMIT 1) AS version FROM unnest(%s::uuid[]) AS r(id)"
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
        # Rendered once: psycopg renders a composed statement on every
        # execute, but caches the conversion of a plain string (a third of
        # the batch's CPU went into rendering the same five statements).
        # The lock's timeout is set once per connection (a session setting),
        # not per batch: one statement less in every batch's round trip.
        timeout, lock = [_text(q) for q in rec.lock_table_statements]
        self.lock = [lock]
        self.lock_timeout = timeout.replace("SET LOCAL", "SET")
        self._timed: weakref.WeakSet[Any] = weakref.WeakSet()
        self.insert_events = _text(rec.insert_events_statement)
        self.max_id = _text(rec.max_notification_id_statement)
        self.check_text = _text(self.check)
        self.insert_receipt_text = _text(self.insert_receipt)

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
        """Two round trips whatever the batch's size: BEGIN, the lock, the
        check and the events in one; the receipts (which need the events'
        positions) and COMMIT in the other. A stale batch's events are
        inserted, then rolled back with it: wasted work only when stale."""
        rec = self.rec
        events = self.events_of(mapped)
        reads = list(commit.reads)
        with rec.datastore.get_connection() as conn:
            self._set_lock_timeout(conn)
            try:
                with conn.pipeline() as pipeline, conn.cursor() as cur:
                    # BEGIN and COMMIT as statements of the pipeline (the
                    # connection is in autocommit): psycopg's transaction()
                    # would sync the pipeline once more on each side.
                    cur.execute(BEGIN)
                    for statement in self.lock:
                        cur.execute(statement, prepare=True)
                    check = conn.cursor()
                    if reads:
                        check.execute(self.check_text, (reads,), prepare=True)
                    insert = conn.cursor()
                    if events:
                        insert.execute(self.insert_events, (events,), prepare=True)
                    else:
                        insert.execute(self.max_id, prepare=True)
                    pipeline.sync()
                    head = self._place(commit, mapped, check, insert, reads, events)
                    receipts = [
                        receipt_row(c.receipt) for c in commit.changes if c.receipt
                    ]
                    if receipts:
                        cur.executemany(self.insert_receipt_text, receipts)
                    sent.append(True)  # leaving the pipeline sends COMMIT
                    cur.execute(COMMIT)
            except BaseException:
                _roll_back(conn)
                raise
        return head

    def _set_lock_timeout(self, conn: Any) -> None:
        """A save waits this long for the table lock, then fails (unavailable)
        rather than queueing forever behind a stuck writer."""
        if conn not in self._timed:
            conn.execute(self.lock_timeout)
            self._timed.add(conn)

    def _place(
        self,
        commit: Commit,
        mapped: list[list[StoredEvent]],
        check: Any,
        insert: Any,
        reads: list[UUID],
        events: list[Any],
    ) -> int:
        """The freshness check's verdict, then each change's position."""
        rows = check.fetchall() if reads else []
        found = {r["originator_id"]: r["version"] for r in rows if r["version"]}
        moved = moved_since(commit.reads, found)
        if moved:
            raise StaleState(moved)  # the caller rolls the transaction back
        rows = insert.fetchall()
        ids = [r["notification_id"] for r in rows] if events else []
        head = ids[-1] if ids else int(rows[0]["max"] or 0)
        place(commit, mapped, ids, head)
        return head

    @contextmanager
    def exclusive(self) -> Iterator[Held]:
        """The store's write lock, held while the caller decides and saves:
        no other writer commits meanwhile, so what it loads stays fresh."""
        with self.rec.datastore.get_connection() as conn:
            self._set_lock_timeout(conn)
            with conn.transaction():
                with conn.cursor() as cur:
                    for statement in self.lock:
                        cur.execute(statement, prepare=True)
                held = _Held(self, conn)
                yield held
        if held.appended:
            self.committed()

    def events_of(self, mapped: list[list[StoredEvent]]) -> list[Any]:
        return [
            self.rec.construct_pg_stored_event(
                s.originator_id, s.originator_version, s.topic, s.state
            )
            for stored in mapped
            for s in stored
        ]

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
        """Checks first, then inserts: a check that fails leaves nothing in
        the held transaction, so the caller can decide again and save."""
        a = self.appender
        mapped = a.mapped(commit)
        reads = list(commit.reads)
        with self.conn.cursor() as cur:
            if reads:
                cur.execute(a.check_text, (reads,), prepare=True)
                rows = cur.fetchall()
                found = {r["originator_id"]: r["version"] for r in rows if r["version"]}
                moved = moved_since(commit.reads, found)
                if moved:  # only an aggregate this process had cached stale
                    raise StaleState(moved)
            events = a.events_of(mapped)
            if events:
                cur.execute(a.insert_events, (events,), prepare=True)
            else:
                cur.execute(a.max_id, prepare=True)
            rows = cur.fetchall()
            ids = [r["notification_id"] for r in rows] if events else []
            head = ids[-1] if ids else int(rows[0]["max"] or 0)
            place(commit, mapped, ids, head)
            receipts = [receipt_row(c.receipt) for c in commit.changes if c.receipt]
            if receipts:
                cur.executemany(a.insert_receipt_text, receipts)
        self.appended = True
        return head
