"""Webhook endpoints, for listing (never their secrets).

The sender keeps its own copy of the endpoints it matches against
(consumers/webhooks/matching.py), written in its own transaction with its own
position, so that what an event is matched against is the endpoints as of
that event, whatever this projection's lag.
"""

from __future__ import annotations

import json
from typing import Any

from projections.envelope import Envelope
from projections.sql import Tx

NAME = "webhook_endpoints"

TABLES = [
    """CREATE TABLE IF NOT EXISTS proj_webhook_endpoints (
        endpoint_id TEXT PRIMARY KEY,
        tenant_id TEXT,
        url TEXT NOT NULL,
        include_subtenants BOOLEAN NOT NULL,
        event_types TEXT,
        description TEXT,
        status TEXT NOT NULL,
        created_at TEXT NOT NULL,
        position BIGINT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS proj_webhooks_tenant"
    " ON proj_webhook_endpoints (tenant_id)",
]
KEYS = (
    "endpoint_id",
    "tenant_id",
    "url",
    "include_subtenants",
    "event_types",
    "description",
    "status",
    "created_at",
    "position",
)
_STATUS = {"WebhookEndpointDisabled": "disabled", "WebhookEndpointEnabled": "enabled"}


def apply(tx: Tx, e: Envelope) -> None:
    if e.aggregate_type != "WebhookEndpoint":
        return
    p = e.payload
    if e.type == "WebhookEndpointCreated":
        types = p.get("event_types")
        tx.execute(
            "INSERT INTO proj_webhook_endpoints VALUES (?,?,?,?,?,?,?,?,?)"
            " ON CONFLICT (endpoint_id) DO NOTHING",
            (
                e.aggregate_id,
                p.get("tenant_id"),
                p["url"],
                bool(p.get("include_subtenants")),
                json.dumps(types) if types is not None else None,
                p.get("description"),
                "enabled",
                e.occurred_at,
                e.position,
            ),
        )
    elif e.type == "WebhookEndpointUpdated":
        types = p.get("event_types")
        tx.execute(
            "UPDATE proj_webhook_endpoints SET url = ?, event_types = ?,"
            " description = ?, position = ? WHERE endpoint_id = ?",
            (
                p["url"],
                json.dumps(types) if types is not None else None,
                p.get("description"),
                e.position,
                e.aggregate_id,
            ),
        )
    elif e.type in _STATUS:
        tx.execute(
            "UPDATE proj_webhook_endpoints SET status = ?, position = ?"
            " WHERE endpoint_id = ?",
            (_STATUS[e.type], e.position, e.aggregate_id),
        )
    elif e.type == "WebhookEndpointDeleted":
        tx.execute(
            "DELETE FROM proj_webhook_endpoints WHERE endpoint_id = ?",
            (e.aggregate_id,),
        )


def endpoints_of(
    tx: Tx,
    tenants: set[str] | None,
    after: str | None,
    limit: int,
    own_only: bool = False,
) -> list[dict[str, Any]]:
    """Endpoints of these tenants (None: all, those of no tenant included),
    by id, after the cursor `after`; `own_only`: none that sends a subtree."""
    sql = f"SELECT {', '.join(KEYS)} FROM proj_webhook_endpoints WHERE endpoint_id > ?"
    params: list[Any] = [after or ""]
    if own_only:
        sql += " AND include_subtenants = ?"
        params.append(False)
    if tenants is not None:
        marks = ",".join("?" * len(tenants)) or "NULL"
        sql += f" AND tenant_id IN ({marks})"
        params += sorted(tenants)
    sql += " ORDER BY endpoint_id LIMIT ?"
    params.append(limit)
    rows = [dict(zip(KEYS, r, strict=True)) for r in tx.execute(sql, params)]
    for row in rows:
        row["include_subtenants"] = bool(row["include_subtenants"])
        types = row["event_types"]
        row["event_types"] = json.loads(types) if types is not None else None
    return rows
