"""`seatledger replay`: rebuild projections from the event store into shadow
tables, then swap them in atomically, while the service keeps serving (and its
projector keeps writing) the live ones.

The rebuild streams the store's log, a batch at a time, into a shadow made
afresh with the same DDL (PostgreSQL: the schema `<schema>_replay`; SQLite:
`seatledger.replay.sqlite` beside the live file). Then one transaction on the
live tables:

1. blocks the live projection writers. PostgreSQL: LOCK TABLE the tracking
   tables, then the projection tables, IN EXCLUSIVE MODE (readers go on; every
   projector transaction that writes rows touches projection_tenant_positions
   first, so this order cannot deadlock with one). SQLite: the write lock of
   BEGIN IMMEDIATE (the store shares the file, so commands wait too).
2. reads the store head H. Positions are handed out in commit order, so every
   event at or below H is committed, and no live projector applied one above.
3. applies the rest of the log up to H to the shadow: it now holds every
   event <= H, each applied once, in log order.
4. replaces the live rows of the rebuilt projections' tables with the
   shadow's, raises (never lowers) each tenant's applied position to the
   shadow's (the tenant's last event <= H, at least what the live had) and
   the "store" checkpoint to H.

Why neither projector applies anything twice or misses anything afterwards:
- the embedded follower reads on after its checkpoint H. A batch it read
  before the lock commits nothing until the lock is gone, then finds every
  envelope at or below its tenant's position and skips it.
- the Kafka projector skips an envelope at or below its tenant's position:
  each tenant's events <= H are in the swapped rows and skipped; each later
  one is applied once, on top of them. Its offsets and watermarks are left
  alone: they only claim what was applied, which stays true.

Rebuilding only some projections: the positions are shared by all of them,
so raising a tenant's position would make the projectors skip its events for
the projections not rebuilt. So the live tables are first brought up to the
store exactly as the follower does it (`apply_batch`, from the highest
position below which everything is applied: the "store" checkpoint or the
Kafka watermark), in short transactions beforehand and the rest up to H under
the lock. Then every live projection holds every event <= H, and the raised
positions are true for all of them.

A failure before the commit changes nothing live. The shadow is dropped at
the end and made anew by the next run; an advisory lock (a file lock for
SQLite) keeps two replays of one store apart. Longer than our usual module:
the swap's steps and the two shadows (which differ only in where their tables
live and how rows cross over) read best side by side.
"""

from __future__ import annotations

import fcntl
import os
import re
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import psycopg
import structlog
from eventsourcing.postgres import PostgresDatastore
from psycopg import sql
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from consumers.log_follower import SOURCE
from consumers.projector import kafka_watermark
from infra.bootstrap import Container
from infra.db import PostgresDatabase, SqliteDatabase
from infra.events import to_envelope
from infra.ledger import Ledger
from projections.envelope import Envelope
from projections.registry import (
    PROJECTIONS,
    Projection,
    apply_batch,
    checkpoint,
    create_tables,
)
from projections.sql import Row, Tx

log = structlog.get_logger(__name__)

TRACKING = ("projection_tenant_positions", "projection_checkpoints")
SWAP_ATTEMPTS = 3
LOCK_TIMEOUT_S = 30
# Unlocked rounds before the swap: each replays what arrived during the last.
ROUNDS = 10
COPY_CHUNK = 5000
_ROWS = re.compile(r"^\s*(SELECT|WITH)\b|\bRETURNING\b", re.IGNORECASE)
_TABLE = re.compile(r"\s*CREATE TABLE IF NOT EXISTS (\w+)", re.IGNORECASE)
_RAISE_POSITION = (
    "INSERT INTO projection_tenant_positions (tenant_id, position) {rows}"
    " ON CONFLICT (tenant_id) DO UPDATE SET position = excluded.position"
    " WHERE projection_tenant_positions.position < excluded.position"
)
_RAISE_CHECKPOINT = (
    "INSERT INTO projection_checkpoints (source, position) VALUES (?, ?)"
    " ON CONFLICT (source) DO UPDATE SET position = excluded.position"
    " WHERE projection_checkpoints.position < excluded.position"
)


class UnknownProjection(ValueError):
    def __init__(self, unknown: Sequence[str]) -> None:
        known = ", ".join(p.name for p in PROJECTIONS)
        super().__init__(
            f"unknown projection {', '.join(map(repr, unknown))}; known: {known}"
        )


class ReplayBusy(RuntimeError):
    """Another replay of the same store is running."""


@dataclass(frozen=True)
class ReplayResult:
    projections: tuple[str, ...]
    events: int
    seconds: float
    position: int

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def select_projections(names: Sequence[str] | None) -> tuple[Projection, ...]:
    """The projections named (all when none), in registry order."""
    if not names:
        return PROJECTIONS
    known = {p.name for p in PROJECTIONS}
    unknown = [n for n in dict.fromkeys(names) if n not in known]
    if unknown:
        raise UnknownProjection(unknown)
    return tuple(p for p in PROJECTIONS if p.name in names)


def tables_of(projections: Sequence[Projection]) -> list[str]:
    return [
        m.group(1) for p in projections for ddl in p.tables if (m := _TABLE.match(ddl))
    ]


def batches(
    ledger: Ledger, after: int, stop: int, size: int
) -> Iterator[list[Envelope]]:
    """The log's events in (after, stop], `size` at a time, never all at once."""
    transcoder = ledger.mapper.transcoder
    while after < stop:
        found = ledger.recorder.select_notifications(after + 1, size, stop=stop)
        if not found:
            return
        yield [to_envelope(n, transcoder) for n in found]
        after = found[-1].id


def count_events(ledger: Ledger, after: int, upto: int) -> int:
    """How many events the log holds in (after, upto]: positions have gaps."""
    recorder: Any = ledger.recorder
    table = recorder.events_table_name
    store = recorder.datastore
    if isinstance(store, PostgresDatastore):
        query = (
            f"SELECT COUNT(*) AS n FROM {store.schema}.{table}"
            " WHERE notification_id > %s AND notification_id <= %s"
        )
    else:
        query = f"SELECT COUNT(*) AS n FROM {table} WHERE rowid > ? AND rowid <= ?"
    with store.transaction(commit=False) as cursor:
        cursor.execute(query, (after, upto))
        row = cursor.fetchone()
    return int(row["n"])


def apply_to_shadow(
    tx: Tx, envelopes: Sequence[Envelope], projections: Sequence[Projection]
) -> None:
    """Only this replay writes the shadow, in log order: every envelope is new
    there, so positions are recorded once per batch, not checked per event."""
    last: dict[str, int] = {}
    for envelope in envelopes:
        for projection in projections:
            projection.apply(tx, envelope)
        last[envelope.tenant_id or ""] = envelope.position
    tx.executemany(_RAISE_POSITION.format(rows="VALUES (?, ?)"), list(last.items()))
    tx.execute(_RAISE_CHECKPOINT, (SOURCE, envelopes[-1].position))


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


class _Rate(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        if speed is None and task.elapsed:
            speed = task.completed / task.elapsed  # too soon for a windowed one
        shown = "-" if speed is None else f"{speed:,.0f}"
        return Text(f"{shown} events/s", style="progress.data.speed")


@dataclass
class _Run:
    container: Container
    shadow: Shadow
    projections: tuple[Projection, ...]
    size: int
    progress: Progress
    on_batch: Callable[[int], None] | None
    task: TaskID = field(init=False)
    reached: int = 0  # the shadow holds every event at or below this
    counted: int = 0
    total: int = 0
    events: int = 0

    def __post_init__(self) -> None:
        self.task = self.progress.add_task("replay", total=None)

    @property
    def ledger(self) -> Ledger:
        return self.container.ledger

    def shadow_to(self, stop: int) -> None:
        if stop > self.counted:
            self.total += count_events(self.ledger, self.counted, stop)
            self.counted = stop
            self.progress.update(self.task, total=self.total)
        for envelopes in batches(self.ledger, self.reached, stop, self.size):
            with self.shadow.transaction() as tx:
                apply_to_shadow(tx, envelopes, self.projections)
            self.events += len(envelopes)
            self.progress.advance(self.task, len(envelopes))
            if self.on_batch is not None:
                self.on_batch(self.events)
        self.reached = max(self.reached, stop)

    def live_step(self, tx: Tx, stop: int) -> int:
        """Applies the live tables' next batch, as the follower would."""
        topic = self.container.topics.events
        after = max(checkpoint(tx, SOURCE), kafka_watermark(tx, topic))
        for envelopes in batches(self.ledger, after, stop, self.size):
            apply_batch(tx, envelopes, SOURCE, envelopes[-1].position)
            return len(envelopes)
        return 0

    def catch_up_live(self, stop: int) -> int:
        applied = 0
        while True:
            with self.container.db.transaction() as tx:
                # Taken first, so a projector's transaction waits for ours
                # instead of deadlocking with it over tenant rows.
                self.shadow.lock_live(tx, TRACKING[:1])
                done = self.live_step(tx, stop)
            if not done:
                return applied
            applied += done

    def swap(self) -> int:
        """One transaction: block writers, catch up to the head, swap."""
        rebuilt = tables_of(self.projections)
        with self.container.db.transaction() as tx:
            self.shadow.lock_live(tx, [*TRACKING, *tables_of(PROJECTIONS)])
            head = self.ledger.head()
            if len(self.projections) < len(PROJECTIONS):
                while self.live_step(tx, head):
                    pass
            self.shadow_to(head)
            for table in rebuilt:
                self.shadow.copy_into(tx, table)
            self.shadow.positions_into(tx)
            tx.execute(_RAISE_CHECKPOINT, (SOURCE, head))
        return head


def _busy(exc: Exception) -> bool:
    if isinstance(exc, sqlite3.OperationalError):
        return "locked" in str(exc) or "busy" in str(exc)
    return isinstance(
        exc, psycopg.errors.LockNotAvailable | psycopg.errors.DeadlockDetected
    )


def _swap(run: _Run) -> int:
    for attempt in range(1, SWAP_ATTEMPTS + 1):
        try:
            return run.swap()
        except (sqlite3.OperationalError, psycopg.Error) as exc:
            # Nothing live changed; the shadow keeps what it applied.
            if not _busy(exc) or attempt == SWAP_ATTEMPTS:
                raise
            log.warning("replay swap waited too long; again", attempt=attempt)
    raise AssertionError("unreachable")


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _Rate(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    )


def run_replay(
    container: Container,
    projections: Sequence[str] | None,
    batch: int,
    console: Console,
    on_batch: Callable[[int], None] | None = None,
) -> ReplayResult:
    """Rebuilds the named projections (all when None) and swaps them in.
    `on_batch` is called with the events replayed so far after every batch."""
    chosen = select_projections(projections)
    names = tuple(p.name for p in chosen)
    started = time.perf_counter()
    with open_shadow(container) as shadow, _progress(console) as progress:
        run = _Run(container, shadow, chosen, batch, progress, on_batch)
        log.info("replay started", projections=names, shadow=shadow.where)
        run.shadow_to(run.ledger.head())
        for _ in range(ROUNDS):
            head = run.ledger.head()
            if head - run.reached <= batch:
                break  # the rest is applied under the lock
            run.shadow_to(head)
        if len(chosen) < len(PROJECTIONS):
            live = run.catch_up_live(run.ledger.head())
            log.info("live projections caught up", events=live)
        position = _swap(run)
    result = ReplayResult(names, run.events, time.perf_counter() - started, position)
    log.info(
        "replay swapped in",
        projections=names,
        events=result.events,
        position=position,
        seconds=round(result.seconds, 3),
    )
    console.print(
        f"Replayed {result.events:,} events into {', '.join(names)} in "
        f"{result.seconds:.1f} s ({result.rate:,.0f} events/s); swapped in at "
        f"position {position}.",
        highlight=False,
        soft_wrap=True,
    )
    return result
