"""The sender's tables, beside the projections: its copy of the endpoints
and the tenant tree (as of its position in the log), the deliveries, and its
position. Written only by the sender, so they are not projections: a replay
of the projections never rebuilds (and so never re-sends) them."""

from __future__ import annotations

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
