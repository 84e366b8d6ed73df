"""The receipts table: written in the save transaction of a command's events
(infra/eventstore/appender.py), read back by the command bus, pruned after
SEATLEDGER_IDEMPOTENCY_TTL_H (`serve` every hour, `seatledger
prune-receipts` on demand)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import structlog

from application.receipts import Receipt
from consumers.periodic import Periodic
from infra.db import Database
from projections.sql import Tx

log = structlog.get_logger(__name__)

TABLE = "command_receipts"
COLUMNS = (
    "receipt_id, key_id, fingerprint, command_type, status, decided_at, changed,"
    " result_id, result_version, error, position, recorded_at"
)
SELECTED = COLUMNS.rsplit(",", 1)[0]  # all but recorded_at


def create_tables(tx: Tx) -> None:
    tx.execute(
        f"""CREATE TABLE IF NOT EXISTS {TABLE} (
            receipt_id TEXT PRIMARY KEY,
            key_id TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            command_type TEXT NOT NULL,
            status INTEGER NOT NULL,
            decided_at TEXT NOT NULL,
            changed BOOLEAN NOT NULL,
            result_id TEXT,
            result_version BIGINT,
            error TEXT,
            position BIGINT NOT NULL,
            recorded_at DOUBLE PRECISION NOT NULL)"""
    )
    tx.execute(
        f"CREATE INDEX IF NOT EXISTS {TABLE}_recorded_at ON {TABLE} (recorded_at)"
    )


def receipt_row(r: Receipt) -> tuple[Any, ...]:
    return (
        str(r.receipt_id),
        r.key_id,
        r.fingerprint,
        r.command_type,
        r.status,
        r.decided_at.isoformat(),
        r.changed,
        str(r.result_id) if r.result_id else None,
        r.result_version,
        json.dumps(r.error) if r.error is not None else None,
        r.position,
        # The service's clock, as the pruning cut-off is: a receipt is kept
        # the TTL measured on one clock.
        r.decided_at.timestamp(),
    )


def _receipt(row: Any) -> Receipt:
    (
        rid,
        key_id,
        fp,
        ctype,
        status,
        decided,
        changed,
        result_id,
        version,
        error,
        pos,
    ) = row
    return Receipt(
        receipt_id=UUID(rid),
        key_id=key_id,
        fingerprint=fp,
        command_type=ctype,
        status=int(status),
        decided_at=datetime.fromisoformat(decided),
        changed=bool(changed),
        result_id=UUID(result_id) if result_id else None,
        result_version=int(version) if version is not None else None,
        error=json.loads(error) if error else None,
        position=int(pos),
    )


def receipt_of(row: tuple[Any, ...]) -> Receipt:
    return _receipt(row)


PRUNE_BATCH = 10_000  # rows per transaction: writers wait only briefly
PRUNE_EVERY_S = 3600.0


def prune(tx: Tx, before: datetime, limit: int = PRUNE_BATCH) -> int:
    """Deletes up to `limit` receipts recorded before `before`; returns how
    many. A repeat of their commands then runs again."""
    rows = tx.execute(
        f"DELETE FROM {TABLE} WHERE receipt_id IN ("
        f" SELECT receipt_id FROM {TABLE} WHERE recorded_at < ? LIMIT ?)"
        " RETURNING receipt_id",
        (before.timestamp(), limit),
    )
    return len(rows)


def prune_expired(db: Database, now: datetime, ttl_h: float) -> int:
    """Deletes every receipt older than `ttl_h` hours at `now`, a batch per
    transaction (SQLite has one writer: a long delete would hold commands
    up); returns how many. Receipts are so kept at least the TTL."""
    before, pruned = now - timedelta(hours=ttl_h), 0
    while True:
        with db.transaction() as tx:
            deleted = prune(tx, before)
        pruned += deleted
        if deleted < PRUNE_BATCH:
            return pruned


def pruner(db: Database, clock: Callable[[], datetime], ttl_h: float) -> Periodic:
    """`serve`'s pruning: at start, then every hour, so no receipt outlives
    the TTL by more than an hour."""

    def job() -> None:
        pruned = prune_expired(db, clock(), ttl_h)
        if pruned:
            log.info("receipts pruned", count=pruned, ttl_h=ttl_h)

    return Periodic("receipt-pruner", job, PRUNE_EVERY_S)
