"""An in-memory SQLite transaction for the projections, and envelopes to feed it."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from domain.seat_pool import pool_id
from projections.envelope import Envelope
from projections.registry import apply_batch
from projections.sql import Row

# The keys of a domain event that the envelope carries, not its payload.
ENVELOPE_META = {"originator_id", "originator_version", "timestamp", "originator_topic"}

# When the log's first event happened; each later one a second after the last.
START = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


class SqliteTx:
    """projections.sql.Tx over one in-memory SQLite connection."""

    def __init__(self) -> None:
        self.conn = sqlite3.connect(":memory:")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return self.conn.execute(sql, tuple(params)).fetchall()

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self.conn.executemany(sql, rows)

    def dump(self) -> list[str]:
        """Every row of every read model, without the source checkpoints."""
        return [s for s in self.conn.iterdump() if "projection_checkpoints" not in s]


TENANT_FIELDS: dict[str, Any] = {
    "tenant_type": "STANDARD",
    "edition": "BASIC",
    "charset": "UTF-8",
    "logo_url": None,
}


class Log:
    """Hands out envelopes as the store would: growing positions and versions."""

    def __init__(self) -> None:
        self.position = 0
        self.versions: dict[str, int] = defaultdict(int)

    def event(
        self, agg_type: str, agg_id: str, type_: str, tenant: str, **payload: Any
    ) -> Envelope:
        self.position += 1
        self.versions[agg_id] += 1
        return Envelope(
            position=self.position,
            event_id=str(uuid4()),
            aggregate_id=agg_id,
            aggregate_type=agg_type,
            aggregate_version=self.versions[agg_id],
            type=type_,
            schema_version=1,
            occurred_at=(START + timedelta(seconds=self.position)).isoformat(),
            tenant_id=tenant,
            actor="key:test",
            correlation_id=str(uuid4()),
            causation_id=None,
            payload=payload,
        )

    def pool(self, tenant: str, slug: str, type_: str, /, **payload: Any) -> Envelope:
        agg_id = str(pool_id(UUID(tenant), slug))
        return self.event("SeatPool", agg_id, type_, tenant, **payload)

    def opened(self, tenant: str, pool: str, limit: int | None) -> Envelope:
        payload = {"tenant_id": tenant, "pool": pool, "limit": limit}
        opened = {**payload, "warning_threshold": 0.8, "parent_pool_id": None}
        return self.pool(tenant, pool, "SeatPoolOpened", **opened)

    def tenant(self, name: str, parent: str | None = None) -> Envelope:
        t = str(uuid4())
        created = {"name": name, "parent_id": parent, **TENANT_FIELDS}
        return self.event("Tenant", t, "TenantCreated", t, **created)


def feed(tx: SqliteTx, *envelopes: Envelope, source: str = "store") -> int:
    reached = max((e.position for e in envelopes), default=0)
    return apply_batch(tx, envelopes, source, reached)
