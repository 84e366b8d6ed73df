"""Usage dashboard: one row per seat pool, its holders, reservations and
allocations. What counts depends on the moment (end dates, invitation
expiries), so counts are taken at read time for the `now` the reader gives."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.common import instant
from projections.envelope import Envelope
from projections.sql import Tx

NAME = "usage"

TABLES = [
    """CREATE TABLE IF NOT EXISTS proj_pools (
        pool_aggregate_id TEXT PRIMARY KEY,
        tenant_id TEXT NOT NULL,
        pool TEXT NOT NULL,
        seat_limit BIGINT,
        warning_threshold DOUBLE PRECISION NOT NULL,
        parent_pool_id TEXT,
        position BIGINT NOT NULL,
        UNIQUE (tenant_id, pool))""",
    """CREATE TABLE IF NOT EXISTS proj_pool_holders (
        pool_aggregate_id TEXT NOT NULL,
        holder_id TEXT NOT NULL,
        end_date TEXT,
        assigned_at TEXT NOT NULL,
        position BIGINT NOT NULL,
        PRIMARY KEY (pool_aggregate_id, holder_id))""",
    """CREATE TABLE IF NOT EXISTS proj_pool_reservations (
        pool_aggregate_id TEXT NOT NULL,
        reservation_id TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        PRIMARY KEY (pool_aggregate_id, reservation_id))""",
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
    tx.execute(
        "UPDATE proj_pools SET position = ? WHERE pool_aggregate_id = ?",
        (e.position, e.aggregate_id),
    )


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
        "UPDATE proj_pools SET seat_limit = ?, warning_threshold = ?"
        " WHERE pool_aggregate_id = ?",
        (p["limit"], p["warning_threshold"], e.aggregate_id),
    )
    if "parent_pool_id" in p:
        tx.execute(
            "UPDATE proj_pools SET parent_pool_id = ? WHERE pool_aggregate_id = ?",
            (p["parent_pool_id"], e.aggregate_id),
        )


def _allocated(tx: Tx, e: Envelope, p: dict[str, Any]) -> None:
    tx.execute(
        "DELETE FROM proj_pool_allocations WHERE pool_aggregate_id = ?"
        " AND child_tenant_id = ?",
        (e.aggregate_id, p["child_tenant_id"]),
    )
    if p["limit"]:
        tx.execute(
            "INSERT INTO proj_pool_allocations VALUES (?,?,?)",
            (e.aggregate_id, p["child_tenant_id"], p["limit"]),
        )


def _assigned(tx: Tx, e: Envelope, p: dict[str, Any]) -> None:
    tx.execute(
        "INSERT INTO proj_pool_holders VALUES (?,?,?,?,?)"
        " ON CONFLICT (pool_aggregate_id, holder_id) DO NOTHING",
        (e.aggregate_id, p["holder_id"], p.get("end_date"), e.occurred_at, e.position),
    )


def _end_date_changed(tx: Tx, e: Envelope, p: dict[str, Any]) -> None:
    tx.execute(
        "UPDATE proj_pool_holders SET end_date = ?"
        " WHERE pool_aggregate_id = ? AND holder_id = ?",
        (p.get("end_date"), e.aggregate_id, p["holder_id"]),
    )


def _released(tx: Tx, e: Envelope, p: dict[str, Any]) -> None:
    tx.execute(
        "DELETE FROM proj_pool_holders WHERE pool_aggregate_id = ? AND holder_id = ?",
        (e.aggregate_id, p["holder_id"]),
    )


def _reserved(tx: Tx, e: Envelope, p: dict[str, Any]) -> None:
    tx.execute(
        "INSERT INTO proj_pool_reservations VALUES (?,?,?)"
        " ON CONFLICT (pool_aggregate_id, reservation_id) DO UPDATE"
        " SET expires_at = excluded.expires_at",
        (e.aggregate_id, p["invitation_id"], p["expires_at"]),
    )


def _reservation_released(tx: Tx, e: Envelope, p: dict[str, Any]) -> None:
    tx.execute(
        "DELETE FROM proj_pool_reservations WHERE pool_aggregate_id = ?"
        " AND reservation_id = ?",
        (e.aggregate_id, p["invitation_id"]),
    )


_HANDLERS = {
    "SeatPoolOpened": _opened,
    "SeatPoolContracted": _limit_set,
    "SeatLimitSet": _limit_set,
    "SeatAllocatedToChild": _allocated,
    "SeatAssigned": _assigned,
    "SeatEndDateChanged": _end_date_changed,
    "SeatReleased": _released,
    "SeatReserved": _reserved,
    "ReservationReleased": _reservation_released,
}

_COUNTS = (
    "p.tenant_id, p.pool, p.seat_limit,"
    " (SELECT COUNT(*) FROM proj_pool_holders h"
    "  WHERE h.pool_aggregate_id = p.pool_aggregate_id"
    "  AND (h.end_date IS NULL OR h.end_date >= ?)),"
    " (SELECT COUNT(*) FROM proj_pool_reservations r"
    "  WHERE r.pool_aggregate_id = p.pool_aggregate_id AND r.expires_at > ?),"
    " COALESCE((SELECT SUM(a.seat_limit) FROM proj_pool_allocations a"
    "  WHERE a.pool_aggregate_id = p.pool_aggregate_id), 0),"
    " p.warning_threshold, p.position"
)


def pools_of(tx: Tx, tenant_id: str, now: datetime) -> list[dict[str, Any]]:
    """The tenant's contracted pools, counted as of `now`."""
    rows = tx.execute(
        f"SELECT {_COUNTS} FROM proj_pools p WHERE p.tenant_id = ?"
        " AND p.seat_limit IS NOT NULL ORDER BY p.pool",
        (now.date().isoformat(), instant(now), tenant_id),
    )
    keys = ("tenant_id", "pool", "limit", "used", "reserved", "allocated")
    pools = []
    for r in rows:
        row = {
            k: (int(v) if k != "tenant_id" and k != "pool" else v)
            for k, v in zip(keys, r[:6], strict=True)
        }
        row["warning_threshold"] = float(r[6])
        row["position"] = int(r[7])
        pools.append(row)
    return pools


def holders_of(
    tx: Tx, tenant_id: str, pool: str, after: str | None, limit: int
) -> list[dict[str, Any]]:
    rows = tx.execute(
        "SELECT h.holder_id, h.assigned_at, h.end_date, h.position"
        " FROM proj_pool_holders h"
        " JOIN proj_pools p ON p.pool_aggregate_id = h.pool_aggregate_id"
        " WHERE p.tenant_id = ? AND p.pool = ? AND h.holder_id > ?"
        " ORDER BY h.holder_id LIMIT ?",
        (tenant_id, pool, after or "", limit),
    )
    keys = ("holder_id", "assigned_at", "end_date", "position")
    return [dict(zip(keys, r, strict=True)) for r in rows]
