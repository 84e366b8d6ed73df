"""Tenant tree: every tenant with its parent, for subtree reads and reports."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Readable:
    """The tenants a key may read: every tenant (`root` None), `root` and its
    descendants, or `root` alone (`subtree` False)."""

    root: str | None = None
    subtree: bool = True


@dataclass(frozen=True)
class Listing:
    parent_id: str | None = None
    status: str | None = None
    q: str | None = None  # a substring of the name, case-insensitive


SCAN = 500  # rows read per statement while a search filters them


def listed(
    tx: Tx, readable: Readable, want: Listing, after: tuple[str, str] | None, limit: int
) -> list[dict[str, Any]]:
    """Up to `limit` readable tenants matching `want`, ordered by lower-cased
    name then id, after the (sort key, id) `after`. Scope and filters are
    SQL; the name search is matched here, folded the way names are compared
    (NFKC, case folding), which SQLite's LOWER cannot do beyond ASCII."""
    needle = _folded(want.q) if want.q else None
    found: list[dict[str, Any]] = []
    while len(found) < limit:
        rows = _scan(tx, readable, want, after, SCAN if needle else limit)
        found += [r for r in rows if needle is None or needle in _folded(r["name"])]
        if len(rows) < (SCAN if needle else limit):
            break
        after = (rows[-1]["sort_key"], rows[-1]["tenant_id"])
    return found[:limit]


def _scan(
    tx: Tx, readable: Readable, want: Listing, after: tuple[str, str] | None, n: int
) -> list[dict[str, Any]]:
    sql, params = _readable(readable)
    for column, value in (("parent_id", want.parent_id), ("status", want.status)):
        if value is not None:
            sql += f" AND t.{column} = ?"  # a constant of this module, never input
            params.append(value)
    if after is not None:
        sql += " AND (LOWER(t.name) > ? OR (LOWER(t.name) = ? AND t.tenant_id > ?))"
        params += [after[0], after[0], after[1]]
    sql += " ORDER BY LOWER(t.name), t.tenant_id LIMIT ?"
    keys = ("tenant_id", "name", "sort_key")
    return [dict(zip(keys, r, strict=True)) for r in tx.execute(sql, [*params, n])]


def _readable(readable: Readable) -> tuple[str, list[Any]]:
    select = "SELECT t.tenant_id, t.name, LOWER(t.name) FROM proj_tenants t"
    if readable.root is None:
        return f"{select} WHERE 1 = 1", []
    if not readable.subtree:
        return f"{select} WHERE t.tenant_id = ?", [readable.root]
    return (
        "WITH RECURSIVE scope(tenant_id) AS ("
        " SELECT tenant_id FROM proj_tenants WHERE tenant_id = ?"
        " UNION SELECT c.tenant_id FROM proj_tenants c"
        " JOIN scope s ON c.parent_id = s.tenant_id) "
        f"{select} WHERE t.tenant_id IN (SELECT tenant_id FROM scope)",
        [readable.root],
    )


def _folded(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()
