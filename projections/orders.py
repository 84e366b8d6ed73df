"""License orders of each tenant."""

from __future__ import annotations

from typing import Any

from projections.envelope import Envelope
from projections.sql import Tx

NAME = "license_orders"

TABLES = [
    """CREATE TABLE IF NOT EXISTS proj_license_orders (
        order_id TEXT PRIMARY KEY,
        tenant_id TEXT NOT NULL,
        pool TEXT NOT NULL,
        quantity BIGINT NOT NULL,
        note TEXT,
        status TEXT NOT NULL,
        placed_at TEXT NOT NULL,
        placed_by TEXT NOT NULL,
        reason TEXT,
        position BIGINT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS proj_orders_tenant ON proj_license_orders (tenant_id)",
]

_STATUS = {
    "LicenseOrderFulfilled": "fulfilled",
    "LicenseOrderRejected": "rejected",
    "LicenseOrderCancelled": "cancelled",
}
KEYS = (
    "order_id",
    "tenant_id",
    "pool",
    "quantity",
    "note",
    "status",
    "placed_at",
    "placed_by",
    "reason",
    "position",
)


def apply(tx: Tx, e: Envelope) -> None:
    if e.aggregate_type != "LicenseOrder":
        return
    p = e.payload
    if e.type == "LicenseOrderPlaced":
        tx.execute(
            "INSERT INTO proj_license_orders VALUES (?,?,?,?,?,?,?,?,?,?)"
            " ON CONFLICT (order_id) DO NOTHING",
            (
                e.aggregate_id,
                p["tenant_id"],
                p["pool"],
                p["quantity"],
                p.get("note"),
                "placed",
                e.occurred_at,
                p["placed_by"],
                None,
                e.position,
            ),
        )
    elif e.type in _STATUS:
        tx.execute(
            "UPDATE proj_license_orders SET status = ?, reason = ?, position = ?"
            " WHERE order_id = ?",
            (_STATUS[e.type], p.get("reason"), e.position, e.aggregate_id),
        )


def orders_of(
    tx: Tx, tenant_id: str, status: str | None, after: str | None, limit: int
) -> list[dict[str, Any]]:
    sql = f"SELECT {', '.join(KEYS)} FROM proj_license_orders WHERE tenant_id = ?"
    params: list[Any] = [tenant_id]
    if status is not None:
        sql += " AND status = ?"
        params.append(status)
    sql += " AND order_id > ? ORDER BY order_id LIMIT ?"
    params += [after or "", limit]
    return [dict(zip(KEYS, r, strict=True)) for r in tx.execute(sql, params)]
