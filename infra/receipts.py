"""The receipts table: written in the save transaction of a command's events
(infra/eventstore/appender.py), read back by the command bus, pruned after
SEATLEDGER_IDEMPOTENCY_TTL_H."""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any
from uuid import UUID

from application.receipts import Receipt
from projections.sql import Tx

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
        time.time(),
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


def prune(tx: Tx, before: datetime) -> int:
    """Deletes receipts recorded before `before`: a repeat after that runs
    again (API.md keeps them at least 24 hours)."""
    rows = tx.execute(
        f"DELETE FROM {TABLE} WHERE recorded_at < ? RETURNING receipt_id",
        (before.timestamp(),),
    )
    return len(rows)
