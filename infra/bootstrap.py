"""The one composition root: settings -> logging, store, database, the command
bus and the reads, Kafka."""

from __future__ import annotations

import functools
import os
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from kafka import KafkaConsumer, KafkaProducer

from application.bus import CommandBus
from application.committer import Committer
from application.keys import Authenticator
from application.queries.billing import BillingReads
from application.queries.contracts import ContractReads
from application.queries.history import HistoryReads
from application.queries.keys import KeyReads
from application.queries.listing import TenantListing
from application.queries.projected import ProjectedReads
from application.queries.reads import Reads
from application.queries.scope import Scope
from application.queries.state import StateReads
from application.queries.usage import UsageReads
from application.queries.webhooks import WebhookReads
from consumers.log_follower import LogFollower
from consumers.projector import kafka_watermark
from consumers.relay import TABLE as RELAY_TABLE
from consumers.relay import relay_position
from consumers.webhooks.dispatch import Policy
from consumers.webhooks.sender import WebhookSender
from domain.api_key import ApiKey
from infra import kafka_io, pg_pools, receipts
from infra import logging as seatledger_logging
from infra.audit import verify
from infra.db import Database, PostgresDatabase, SqliteDatabase
from infra.eventstore import Log, Persistence, Store
from infra.metrics import Metrics
from infra.private_files import secure_data_dir
from infra.sealing import Sealer, key_from
from infra.settings import Settings
from infra.waiting import POSTGRES, Health, until_up
from projections import webhook_sender as webhook_tables
from projections.registry import create_tables


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Container:
    settings: Settings
    persistence: Persistence
    store: Store
    log: Log
    db: Database
    bus: CommandBus
    reads: Reads
    authenticator: Authenticator
    follower: LogFollower
    webhooks: WebhookSender
    metrics: Metrics
    clock: Callable[[], datetime]
    operator_key: str = field(repr=False)
    generated_key: bool = False
    health: Health = field(default_factory=Health)
    # Set when the process is asked to stop: every wait gives up on it.
    stop: threading.Event = field(default_factory=threading.Event)

    @property
    def embedded_projector(self) -> bool:
        return self.settings.kafka_bootstrap is None

    @property
    def sends_webhooks(self) -> bool:
        """`serve` runs the webhook sender itself (else `send-webhooks` does)."""
        configured = self.settings.webhooks_in_process
        return self.embedded_projector if configured is None else configured

    @property
    def topics(self) -> kafka_io.Topics:
        return kafka_io.Topics(self.settings.topic_prefix)

    def projection_position(self, tenant_id: str | None = None) -> int:
        """Every event at or below this position is in the projections (for
        the given tenant's own rows, or for all)."""
        return applied_position(self.settings, self.follower, self.db, tenant_id)

    def relay_position(self) -> int:
        with self.db.read() as tx:
            return relay_position(tx)

    def kafka_producer(self) -> KafkaProducer:
        return kafka_io.producer(self._bootstrap())

    def kafka_consumer(self, group_id: str) -> KafkaConsumer:
        return kafka_io.consumer(self._bootstrap(), group_id)

    def ensure_topics(self) -> None:
        kafka_io.ensure_topics(
            self._bootstrap(),
            self.topics,
            self.settings.topic_partitions,
            self.health,
            self.stop,
            self.settings.retry_max_s,
        )

    def _bootstrap(self) -> str:
        if self.settings.kafka_bootstrap is None:
            raise RuntimeError("SEATLEDGER_KAFKA_BOOTSTRAP is not set")
        return self.settings.kafka_bootstrap

    def close(self) -> None:
        self.follower.stop()
        self.webhooks.stop()
        self.bus.stop()
        self.persistence.close()
        self.db.close()


def bootstrap(
    settings: Settings | None = None,
    configure_logging: bool = True,
    stop: threading.Event | None = None,
) -> Container:
    """Builds the container, waiting for PostgreSQL however long it is down
    (raises Stopped if `stop` is set meanwhile, Misconfigured when waiting
    cannot help)."""
    settings = settings or Settings()
    if configure_logging:
        seatledger_logging.configure(settings.log_level, settings.log_json)
    secure_data_dir(settings)  # 0700 folder, 0600 files, also when they exist
    metrics = Metrics()
    health = Health(metrics.dependency_up, settings.retry_max_s)
    stop = stop or threading.Event()
    if settings.database_url is not None:
        url = settings.database_url
        health[POSTGRES].probe = lambda: pg_pools.probe(url)
    db, persistence = until_up(
        lambda: open_stores(settings), health, stop, settings.retry_max_s
    )
    if settings.database_url is not None:
        watch_pools(health, db, persistence)
    key, generated = operator_key(settings)
    now = clock(settings.clock_offset_days)
    store = Store(persistence, settings.aggregate_cache)
    log = Log(persistence)
    follower = LogFollower(
        log,
        db,
        batch=settings.projector_batch,
        poll_s=settings.projector_poll_ms / 1000,
    )
    committer = Committer(
        store,
        store,
        now,
        cache_size=settings.bus_cache,
        max_batch=settings.max_batch,
        retry_attempts=settings.retry_attempts,
        committed=follower.nudge,
    )

    sealer = persistence.mapper.sealer
    assert sealer is not None  # set by open_stores
    policy = Policy(
        delays=settings.webhook_retry_delays,
        timeout_s=settings.webhooks_timeout_s,
        concurrency=settings.webhooks_concurrency,
        allow_private=settings.webhooks_allow_private,
    )
    webhooks = WebhookSender(
        log, db, sealer, policy, metrics, poll_s=settings.webhooks_poll_ms / 1000
    )

    def applied(tenant_id: str | None) -> int:
        return applied_position(settings, follower, db, tenant_id)

    return Container(
        settings=settings,
        persistence=persistence,
        store=store,
        log=log,
        db=db,
        bus=CommandBus(committer, store),
        reads=_reads(store, log, db, now, applied),
        authenticator=Authenticator(key, lambda i: _key(store, i)),
        follower=follower,
        webhooks=webhooks,
        metrics=metrics,
        clock=now,
        operator_key=key,
        generated_key=generated,
        health=health,
        stop=stop,
    )


def applied_position(
    settings: Settings, follower: LogFollower, db: Database, tenant_id: str | None
) -> int:
    if settings.kafka_bootstrap is None:
        return follower.position()
    topic = kafka_io.Topics(settings.topic_prefix).events
    with db.read() as tx:
        return kafka_watermark(tx, topic, tenant_id)


def _reads(
    store: Store,
    log: Log,
    db: Database,
    now: Callable[[], datetime],
    applied: Callable[[str | None], int],
) -> Reads:
    scope = Scope(store)
    return Reads(
        scope=scope,
        state=StateReads(store, scope, now),
        projected=ProjectedReads(db, scope, now, applied),
        usage=UsageReads(db, store, scope, now),
        history=HistoryReads(log, scope, lambda tenants: verify(log, tenants)),
        listing=TenantListing(db, store, scope),
        keys=KeyReads(db, scope),
        webhooks=WebhookReads(store, db, scope, applied),
        billing=BillingReads(db, scope, now),
        contracts=ContractReads(db, scope),
    )


def _key(store: Store, key_id: object) -> ApiKey | None:
    found = store.get(key_id)  # type: ignore[arg-type]
    return found if isinstance(found, ApiKey) else None


def open_stores(settings: Settings) -> tuple[Database, Persistence]:
    """The event store and the service's tables, created when missing; on a
    failure half-way nothing stays open (the caller tries again)."""
    with schema_lock(settings), ExitStack() as undo:
        db = open_database(settings)
        undo.callback(db.close)
        persistence = Persistence(settings.eventsourcing_env())
        undo.callback(persistence.close)
        persistence.mapper.sealer = Sealer(
            key_from(settings.webhook_secret_key, settings.webhook_key_file)
        )
        with db.transaction() as tx:
            create_tables(tx)
            receipts.create_tables(tx)
            webhook_tables.create_tables(tx)
            tx.execute(RELAY_TABLE)
        undo.pop_all()
    return db, persistence


def watch_pools(health: Health, db: Database, persistence: Persistence) -> None:
    """PostgreSQL answered again: renew both pools together, at once."""
    pools = [persistence.recorder.datastore.pool]  # type: ignore[attr-defined]
    if isinstance(db, PostgresDatabase):
        pools.append(db.pool)
    postgres = health[POSTGRES]
    postgres.succeeded()
    postgres.on_recovery += [functools.partial(pg_pools.purge, pool) for pool in pools]


def clock(offset_days: int) -> Callable[[], datetime]:
    if not offset_days:
        return utc_now
    return lambda: utc_now() + timedelta(days=offset_days)


@contextmanager
def schema_lock(settings: Settings) -> Iterator[None]:
    """Serialises table creation across processes starting at once (API,
    relay, projector): concurrent CREATE ... IF NOT EXISTS can still collide
    in PostgreSQL's catalog."""
    if settings.database_url is None:
        yield
        return
    connect_timeout = settings.pg_pool_timeout_s
    with psycopg.connect(
        settings.database_url, autocommit=True, connect_timeout=connect_timeout
    ) as conn:
        key = f"seatledger-schema:{settings.postgres_schema}"
        conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (key,))
        # eventsourcing requires the schema to exist before it creates tables.
        conn.execute(
            psycopg.sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(
                psycopg.sql.Identifier(settings.postgres_schema)
            )
        )
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (key,))


def open_database(settings: Settings) -> Database:
    if settings.database_url is None:
        return SqliteDatabase(settings.sqlite_path, timeout_s=settings.lock_timeout_s)
    return PostgresDatabase(
        settings.database_url,
        settings.postgres_schema,
        size=settings.pool_size,
        timeout_s=settings.pg_pool_timeout_s,
        reconnect_s=settings.pg_reconnect_s,
        kick_s=settings.retry_max_s,
    )


def operator_key(settings: Settings) -> tuple[str, bool]:
    """The bootstrap key from the environment, else one generated once and
    kept 0600 beside the database. Returns (key, newly generated)."""
    if settings.bootstrap_key:
        return settings.bootstrap_key, False
    path: Path = settings.bootstrap_key_file
    if path.exists():
        return path.read_text().strip(), False
    key = "sl_op_" + secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key + "\n")
    return key, True
