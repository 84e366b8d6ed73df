"""Scheduled contract changes: every change with its status, for the list of
a pool's changes, the dashboard's pending ones and the scheduler, which asks
for those whose instant has come. Nothing depends on it for correctness:
any command on a pool applies its due changes first."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.common import instant
from projections.envelope import Envelope
from projections.sql import Tx

NAME = "contract_changes"
SCHEDULED = "scheduled"

TABLES = [
    """CREATE TABLE IF NOT EXISTS proj_contract_changes (
        change_id TEXT PRIMARY KEY,
        tenant_id TEXT NOT NULL,
        pool TEXT NOT NULL,
        seat_limit BIGINT NOT NULL,
        warning_threshold DOUBLE PRECISION,
        effective_at TEXT NOT NULL,
        status TEXT NOT NULL,
        reason TEXT,
        detail TEXT,
        scheduled_at TEXT NOT NULL,
        settled_at TEXT,
        position BIGINT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS proj_contract_changes_pool"
    " ON proj_contract_changes (tenant_id, pool)",
    "CREATE INDEX IF NOT EXISTS proj_contract_changes_due"
    " ON proj_contract_changes (status, effective_at)",
]

KEYS = (
    "change_id",
    "tenant_id",
    "pool",
    "limit",
    "warning_threshold",
    "effective_at",
    "status",
    "reason",
    "detail",
    "scheduled_at",
    "settled_at",
)
_COLUMNS = ", ".join("seat_limit" if k == "limit" else k for k in KEYS)
_SETTLED = {
    "ContractChangeApplied": ("applied", "applied_at"),
    "ContractChangeFailed": ("failed", "failed_at"),
    "ContractChangeCancelled": ("cancelled", "cancelled_at"),
}


def apply(tx: Tx, e: Envelope) -> None:
    if e.aggregate_type != "ScheduledChange":
        return
    p = e.payload
    if e.type == "ContractChangeScheduled":
        tx.execute(
            f"INSERT INTO proj_contract_changes ({_COLUMNS}, position)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (change_id) DO NOTHING",
            (
                e.aggregate_id,
                p["tenant_id"],
                p["pool"],
                p["limit"],
                p.get("warning_threshold"),
                p["effective_at"],
                SCHEDULED,
                None,
                None,
                p["scheduled_at"],
                None,
                e.position,
            ),
        )
    elif e.type in _SETTLED:
        status, when = _SETTLED[e.type]
        tx.execute(
            "UPDATE proj_contract_changes SET status = ?, reason = ?, detail = ?,"
            " settled_at = ?, position = ? WHERE change_id = ?",
            (
                status,
                p.get("reason"),
                p.get("detail"),
                p[when],
                e.position,
                e.aggregate_id,
            ),
        )


def _rows(found: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    return [dict(zip(KEYS, row, strict=True)) for row in found]


def changes_of(
    tx: Tx, tenant_id: str, pool: str | None = None, status: str | None = None
) -> list[dict[str, Any]]:
    """A tenant's changes (of one pool, of one status), by instant."""
    sql = f"SELECT {_COLUMNS} FROM proj_contract_changes WHERE tenant_id = ?"
    params: list[Any] = [tenant_id]
    if pool is not None:
        sql += " AND pool = ?"
        params.append(pool)
    if status is not None:
        sql += " AND status = ?"
        params.append(status)
    return _rows(tx.execute(sql + " ORDER BY effective_at, change_id", params))


def due(tx: Tx, now: datetime, limit: int) -> list[tuple[str, str]]:
    """(tenant, pool) of the changes still scheduled whose instant has come."""
    found = tx.execute(
        "SELECT DISTINCT tenant_id, pool FROM proj_contract_changes"
        " WHERE status = ? AND effective_at <= ? LIMIT ?",
        (SCHEDULED, instant(now), limit),
    )
    return [(str(t), str(p)) for t, p in found]
