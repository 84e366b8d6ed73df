"""The webhook sender's tables, beside the projections: its copy of the
endpoints and the tenant tree (as of its position in the log), the
deliveries, and its position. Written only by the sender
(consumers/webhooks), read by the delivery log's queries. Not registered as
a projection: a replay of the projections never rebuilds (and so never
re-sends) them."""

from __future__ import annotations

from typing import Any

from projections.sql import Tx

TABLES = [
    """CREATE TABLE IF NOT EXISTS webhook_targets (
        endpoint_id TEXT PRIMARY KEY,
        tenant_id TEXT,
        include_subtenants BOOLEAN NOT NULL,
        event_types TEXT,
        url TEXT NOT NULL,
        status TEXT NOT NULL,
        secrets TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS webhook_tenants (
        tenant_id TEXT PRIMARY KEY,
        parent_id TEXT)""",
    """CREATE TABLE IF NOT EXISTS webhook_deliveries (
        delivery_id TEXT PRIMARY KEY,
        endpoint_id TEXT NOT NULL,
        event_id TEXT NOT NULL,
        position BIGINT NOT NULL,
        type TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        next_attempt_at DOUBLE PRECISION,
        last_status_code INTEGER,
        last_error TEXT,
        delivered_at DOUBLE PRECISION,
        created_at DOUBLE PRECISION NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS webhook_deliveries_due"
    " ON webhook_deliveries (endpoint_id, status, next_attempt_at)",
    "CREATE INDEX IF NOT EXISTS webhook_deliveries_pending"
    " ON webhook_deliveries (status, next_attempt_at)",
    "CREATE INDEX IF NOT EXISTS webhook_deliveries_log"
    " ON webhook_deliveries (endpoint_id, position)",
    """CREATE TABLE IF NOT EXISTS webhook_sender (
        name TEXT PRIMARY KEY,
        position BIGINT NOT NULL)""",
]
SENDER = "matcher"


def create_tables(tx: Tx) -> None:
    for statement in TABLES:
        tx.execute(statement)


def sender_position(tx: Tx) -> int:
    rows = tx.execute("SELECT position FROM webhook_sender WHERE name = ?", (SENDER,))
    return int(rows[0][0]) if rows else 0


def advance(tx: Tx, position: int) -> None:
    """Only ever raises the position."""
    tx.execute(
        "INSERT INTO webhook_sender (name, position) VALUES (?, ?)"
        " ON CONFLICT (name) DO UPDATE SET position = excluded.position"
        " WHERE webhook_sender.position < excluded.position",
        (SENDER, position),
    )


DELIVERY_KEYS = (
    "delivery_id",
    "event_id",
    "type",
    "position",
    "status",
    "attempts",
    "last_status_code",
    "last_error",
    "next_attempt_at",
    "delivered_at",
)


def deliveries_of(
    tx: Tx, endpoint_id: str, status: str | None, before: int | None, limit: int
) -> list[dict[str, Any]]:
    """An endpoint's deliveries, newest event first, before position `before`."""
    sql = (
        f"SELECT {', '.join(DELIVERY_KEYS)} FROM webhook_deliveries"
        " WHERE endpoint_id = ? AND position < ?"
    )
    params: list[Any] = [endpoint_id, before if before is not None else 2**62]
    if status is not None:
        sql += " AND status = ?"
        params.append(status)
    sql += " ORDER BY position DESC LIMIT ?"
    params.append(limit)
    return [dict(zip(DELIVERY_KEYS, r, strict=True)) for r in tx.execute(sql, params)]


def has_delivery(tx: Tx, endpoint_id: str, delivery_id: str) -> bool:
    return bool(
        tx.execute(
            "SELECT 1 FROM webhook_deliveries"
            " WHERE endpoint_id = ? AND delivery_id = ?",
            (endpoint_id, delivery_id),
        )
    )
