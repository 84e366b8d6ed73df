"""Usage dashboard: one row per seat pool, its holders and its allocations."""

from __future__ import annotations

from typing import Any

from projections.envelope import Envelope
from projections.sql import Tx

NAME = "usage"

TABLES = [
    """CREATE TABLE IF NOT EXISTS proj_pools (
        pool_aggregate_id TEXT PRIMARY KEY,
        tenant_id TEXT NOT NULL,
        pool TEXT NOT NULL,
        seat_limit BIGINT NOT NULL,
        used BIGINT NOT NULL DEFAULT 0,
        reserved BIGINT NOT NULL DEFAULT 0,
        warning_threshold DOUBLE PRECISION NOT NULL,
        parent_pool_id TEXT,
        position BIGINT NOT NULL,
        UNIQUE (tenant_id, pool))""",
    """CREATE TABLE IF NOT EXISTS proj_pool_holders (
        pool_aggregate_id TEXT NOT NULL,
        holder_id TEXT NOT NULL,
        assigned_at TEXT NOT NULL,
        position BIGINT NOT NULL,
        PRIMARY KEY (pool_aggregate_id, holder_id))""",
    """CREATE TABLE IF NOT EXISTS proj_pool_allocations (
        pool_aggregate_id TEXT NOT NULL,
        child_tenant_id TEXT NOT NULL,
        seat_limit BIGINT NOT NULL,
        PRIMARY KEY (pool_aggregate_id, child_tenant_id))""",
]


def apply(tx: Tx, e: Envelope) -> None:
    if e.aggregate_type != "SeatPool":
        return
    handler = _HANDLERS.get(e.type)
    if handler is not None:
        handler(tx, e, e.payload)


def _opened(tx: Tx, e: Envelope, p: dict[str, Any]) -> None:
    tx.execute(
        "INSERT INTO proj_pools (pool_aggregate_id, tenant_id, pool, seat_limit,"
        " warning_threshold, parent_pool_id, position) VALUES (?,?,?,?,?,?,?)"
        " ON CONFLICT (pool_aggregate_id) DO NOTHING",
        (
            e.aggregate_id,
            p["tenant_id"],
            p["pool"],
            p["limit"],
            p["warning_threshold"],
            p.get("parent_pool_id"),
            e.position,
        ),
    )


def _limit_set(tx: Tx, e: Envelope, p: dict[str, Any]) -> None:
    tx.execute(
        "UPDATE proj_pools SET seat_limit = ?, warning_threshold = ?, position = ?"
        " WHERE pool_aggregate_id = ?",
        (p["limit"], p["warning_threshold"], e.position, e.aggregate_id),
    )


def _allocated(tx: Tx, e: Envelope, p: dict[str, Any]) -> None:
    if p["limit"]:
        tx.execute(
            "INSERT INTO proj_pool_allocations VALUES (?,?,?) ON CONFLICT"
            " (pool_aggregate_id, child_tenant_id) DO UPDATE SET"
            " seat_limit = excluded.seat_limit",
            (e.aggregate_id, p["child_tenant_id"], p["limit"]),
        )
    else:
        tx.execute(
            "DELETE FROM proj_pool_allocations WHERE pool_aggregate_id = ?"
            " AND child_tenant_id = ?",
            (e.aggregate_id, p["child_tenant_id"]),
        )
    _touch(tx, e)


def _assigned(tx: Tx, e: Envelope, p: dict[str, Any]) -> None:
    tx.execute(
        "INSERT INTO proj_pool_holders VALUES (?,?,?,?)"
        " ON CONFLICT (pool_aggregate_id, holder_id) DO NOTHING",
        (e.aggregate_id, p["holder_id"], e.occurred_at, e.position),
    )
    tx.execute(
        "UPDATE proj_pools SET used = used + 1, position = ?"
        " WHERE pool_aggregate_id = ?",
        (e.position, e.aggregate_id),
    )


def _released(tx: Tx, e: Envelope, p: dict[str, Any]) -> None:
    tx.execute(
        "DELETE FROM proj_pool_holders WHERE pool_aggregate_id = ? AND holder_id = ?",
        (e.aggregate_id, p["holder_id"]),
    )
    tx.execute(
        "UPDATE proj_pools SET used = used - 1, position = ?"
        " WHERE pool_aggregate_id = ?",
        (e.position, e.aggregate_id),
    )


def _touch(tx: Tx, e: Envelope, *_: Any) -> None:
    tx.execute(
        "UPDATE proj_pools SET position = ? WHERE pool_aggregate_id = ?",
        (e.position, e.aggregate_id),
    )


_HANDLERS = {
    "SeatPoolOpened": _opened,
    "SeatLimitSet": _limit_set,
    "SeatAllocatedToChild": _allocated,
    "SeatAssigned": _assigned,
    "SeatReleased": _released,
    "UsageLevelChanged": _touch,
}

POOL_COLUMNS = (
    "p.tenant_id, p.pool, p.seat_limit, p.used, p.reserved,"
    " COALESCE((SELECT SUM(a.seat_limit) FROM proj_pool_allocations a"
    " WHERE a.pool_aggregate_id = p.pool_aggregate_id), 0),"
    " p.warning_threshold, p.position"
)


def pools_of(tx: Tx, tenant_id: str) -> list[dict[str, Any]]:
    rows = tx.execute(
        f"SELECT {POOL_COLUMNS} FROM proj_pools p WHERE p.tenant_id = ?"
        " ORDER BY p.pool",
        (tenant_id,),
    )
    return [pool_row(r) for r in rows]


def pool_row(r: tuple[Any, ...]) -> dict[str, Any]:
    keys = ("tenant_id", "pool", "limit", "used", "reserved", "allocated")
    row = dict(zip(keys, r[:6], strict=True))
    row["warning_threshold"] = float(r[6])
    row["position"] = int(r[7])
    return row


def holders_of(
    tx: Tx, tenant_id: str, pool: str, after: str | None, limit: int
) -> list[dict[str, Any]]:
    rows = tx.execute(
        "SELECT h.holder_id, h.assigned_at, h.position FROM proj_pool_holders h"
        " JOIN proj_pools p ON p.pool_aggregate_id = h.pool_aggregate_id"
        " WHERE p.tenant_id = ? AND p.pool = ? AND h.holder_id > ?"
        " ORDER BY h.holder_id LIMIT ?",
        (tenant_id, pool, after or "", limit),
    )
    return [
        {"holder_id": r[0], "assigned_at": r[1], "position": int(r[2])} for r in rows
    ]
