"""Tenant tree: every tenant with its parent, for subtree reads and reports."""

from __future__ import annotations

from typing import Any

from projections.envelope import Envelope
from projections.sql import Tx

NAME = "tenant_tree"

TABLES = [
    """CREATE TABLE IF NOT EXISTS proj_tenants (
        tenant_id TEXT PRIMARY KEY,
        parent_id TEXT,
        name TEXT NOT NULL,
        tenant_type TEXT NOT NULL,
        edition TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at TEXT NOT NULL,
        position BIGINT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS proj_tenants_parent ON proj_tenants (parent_id)",
]

_STATUS = {
    "TenantHandedOver": "active",
    "TenantSuspended": "suspended",
    "TenantClosed": "closed",
}


def apply(tx: Tx, e: Envelope) -> None:
    if e.aggregate_type != "Tenant":
        return
    p = e.payload
    if e.type == "TenantCreated":
        tx.execute(
            "INSERT INTO proj_tenants VALUES (?,?,?,?,?,?,?,?)"
            " ON CONFLICT (tenant_id) DO NOTHING",
            (
                e.aggregate_id,
                p.get("parent_id"),
                p["name"],
                p["tenant_type"],
                p["edition"],
                "provisioning",
                e.occurred_at,
                e.position,
            ),
        )
    elif e.type == "TenantRenamed":
        _set(tx, e, "name", p["name"])
    elif e.type == "TenantEditionChanged":
        _set(tx, e, "edition", p["edition"])
    elif e.type in _STATUS:
        _set(tx, e, "status", _STATUS[e.type])


def _set(tx: Tx, e: Envelope, column: str, value: Any) -> None:
    # Column names come from this module's own constants, never from input.
    tx.execute(
        f"UPDATE proj_tenants SET {column} = ?, position = ? WHERE tenant_id = ?",
        (value, e.position, e.aggregate_id),
    )


def subtree(tx: Tx, root_id: str) -> list[dict[str, Any]]:
    """The tenant and all its descendants, parents before children."""
    rows = tx.execute(
        "WITH RECURSIVE tree(tenant_id, depth) AS ("
        " SELECT tenant_id, 0 FROM proj_tenants WHERE tenant_id = ?"
        " UNION ALL SELECT t.tenant_id, tree.depth + 1 FROM proj_tenants t"
        " JOIN tree ON t.parent_id = tree.tenant_id)"
        " SELECT t.tenant_id, t.parent_id, t.name, t.tenant_type, t.edition,"
        " t.status, tree.depth FROM tree JOIN proj_tenants t"
        " ON t.tenant_id = tree.tenant_id ORDER BY tree.depth, t.name",
        (root_id,),
    )
    keys = ("tenant_id", "parent_id", "name", "type", "edition", "status", "depth")
    return [dict(zip(keys, r, strict=True)) for r in rows]


def exists(tx: Tx, tenant_id: str) -> bool:
    return bool(
        tx.execute("SELECT 1 FROM proj_tenants WHERE tenant_id = ?", (tenant_id,))
    )
