"""API keys as listed (`GET /v1/api-keys`): who holds which role where, and
since when; never a secret nor its digest, which stay in the key's events."""

from __future__ import annotations

from typing import Any

from projections.envelope import Envelope
from projections.sql import Tx

NAME = "api_keys"

TABLES = [
    """CREATE TABLE IF NOT EXISTS proj_api_keys (
        key_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        role TEXT NOT NULL,
        tenant_id TEXT,
        created_at TEXT NOT NULL,
        revoked_at TEXT,
        position BIGINT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS proj_api_keys_tenant ON proj_api_keys (tenant_id)",
]
KEYS = ("key_id", "name", "role", "tenant_id", "created_at", "revoked_at")


def apply(tx: Tx, e: Envelope) -> None:
    if e.aggregate_type != "ApiKey":
        return
    p = e.payload
    if e.type == "ApiKeyCreated":
        # Only the columns above: the payload's secret_digest is not copied.
        tx.execute(
            "INSERT INTO proj_api_keys VALUES (?,?,?,?,?,?,?)"
            " ON CONFLICT (key_id) DO NOTHING",
            (
                e.aggregate_id,
                p["name"],
                p["role"],
                p.get("tenant_id"),
                e.occurred_at,
                None,
                e.position,
            ),
        )
    elif e.type == "ApiKeyRevoked":
        tx.execute(
            "UPDATE proj_api_keys SET revoked_at = ?, position = ? WHERE key_id = ?",
            (e.occurred_at, e.position, e.aggregate_id),
        )


def keys_of(tx: Tx, root: str | None, subtree: bool = False) -> list[dict[str, Any]]:
    """The keys of `root` (and of its descendants with `subtree`, from the
    tenant tree projected in the same transactions), or every key, unscoped
    ones included, when `root` is None; oldest first."""
    select = f"SELECT {', '.join(f'k.{c}' for c in KEYS)} FROM proj_api_keys k"
    params: list[Any] = []
    if root is not None and subtree:
        select = (
            "WITH RECURSIVE scope(tenant_id) AS ("
            " SELECT tenant_id FROM proj_tenants WHERE tenant_id = ?"
            " UNION SELECT c.tenant_id FROM proj_tenants c"
            " JOIN scope s ON c.parent_id = s.tenant_id) "
            f"{select} WHERE k.tenant_id IN (SELECT tenant_id FROM scope)"
        )
        params = [root]
    elif root is not None:
        select += " WHERE k.tenant_id = ?"
        params = [root]
    select += " ORDER BY k.created_at, k.key_id"
    return [dict(zip(KEYS, r, strict=True)) for r in tx.execute(select, params)]
