"""The one composition root: settings -> logging, store, database, projector."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from consumers.log_follower import LogFollower
from infra import logging as seatledger_logging
from infra.db import Database, PostgresDatabase, SqliteDatabase
from infra.idempotency import IdempotencyStore
from infra.ledger import Ledger
from infra.metrics import Metrics
from infra.settings import Settings
from projections.registry import create_tables


@dataclass
class Container:
    settings: Settings
    ledger: Ledger
    db: Database
    idempotency: IdempotencyStore
    follower: LogFollower
    metrics: Metrics
    operator_key: str = field(repr=False)
    generated_key: bool = False

    @property
    def embedded_projector(self) -> bool:
        return self.settings.kafka_bootstrap is None

    def close(self) -> None:
        self.follower.stop()
        self.ledger.close()
        self.db.close()


def bootstrap(
    settings: Settings | None = None, configure_logging: bool = True
) -> Container:
    settings = settings or Settings()
    if configure_logging:
        seatledger_logging.configure(settings.log_level, settings.log_json)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = open_database(settings)
    ledger = Ledger(
        env=settings.eventsourcing_env(), retry_attempts=settings.retry_attempts
    )
    with db.transaction() as tx:
        create_tables(tx)
        IdempotencyStore.create_tables(tx)
    key, generated = operator_key(settings)
    follower = LogFollower(
        ledger,
        db,
        batch=settings.projector_batch,
        poll_s=settings.projector_poll_ms / 1000,
    )
    return Container(
        settings, ledger, db, IdempotencyStore(db), follower, Metrics(), key, generated
    )


def open_database(settings: Settings) -> Database:
    if settings.database_url is None:
        return SqliteDatabase(settings.sqlite_path, timeout_s=settings.lock_timeout_s)
    # eventsourcing requires the schema to exist before it creates its tables.
    with psycopg.connect(settings.database_url, autocommit=True) as conn:
        conn.execute(
            psycopg.sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(
                psycopg.sql.Identifier(settings.postgres_schema)
            )
        )
    return PostgresDatabase(
        settings.database_url, settings.postgres_schema, size=settings.pool_size
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
