"""All read models, and how a batch of envelopes is applied exactly once.

Whatever feeds the envelopes (the store's log in embedded mode, a Kafka topic
otherwise), rows and positions are written in the caller's one transaction:
either both are durable or neither is, so a replayed batch changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from projections import (
    api_keys,
    contracts,
    daily,
    members,
    orders,
    tenants,
    usage,
    webhooks,
)
from projections.envelope import Envelope
from projections.sql import Tx


@dataclass(frozen=True)
class Projection:
    name: str
    tables: Sequence[str]
    apply: Callable[[Tx, Envelope], None]


PROJECTIONS: tuple[Projection, ...] = (
    Projection(usage.NAME, usage.TABLES, usage.apply),
    Projection(tenants.NAME, tenants.TABLES, tenants.apply),
    Projection(members.NAME, members.TABLES, members.apply),
    Projection(orders.NAME, orders.TABLES, orders.apply),
    Projection(api_keys.NAME, api_keys.TABLES, api_keys.apply),
    Projection(webhooks.NAME, webhooks.TABLES, webhooks.apply),
    Projection(contracts.NAME, contracts.TABLES, contracts.apply),
    Projection(daily.NAME, daily.TABLES, daily.apply),
)

TRACKING_TABLES = [
    # Where each source got to: "store" (global position) or a Kafka partition.
    """CREATE TABLE IF NOT EXISTS projection_checkpoints (
        source TEXT PRIMARY KEY,
        position BIGINT NOT NULL)""",
    # The last position applied per tenant: an envelope at or below it is a
    # redelivery and is skipped, whichever source brings it.
    """CREATE TABLE IF NOT EXISTS projection_tenant_positions (
        tenant_id TEXT PRIMARY KEY,
        position BIGINT NOT NULL)""",
]


def create_tables(tx: Tx) -> None:
    for statement in TRACKING_TABLES:
        tx.execute(statement)
    for projection in PROJECTIONS:
        for statement in projection.tables:
            tx.execute(statement)


def checkpoint(tx: Tx, source: str) -> int:
    rows = tx.execute(
        "SELECT position FROM projection_checkpoints WHERE source = ?", (source,)
    )
    return int(rows[0][0]) if rows else 0


def apply_batch(
    tx: Tx,
    envelopes: Iterable[Envelope],
    source: str,
    reached: int,
    reject: Callable[[Envelope, str], None] | None = None,
    poison: tuple[type[Exception], ...] = (KeyError, TypeError, ValueError),
) -> int:
    """Applies what is new, records `reached` for `source`; returns how many.

    With `reject`, an envelope the projections cannot apply (one of `poison`)
    is rolled back to a savepoint and handed to `reject` instead of failing
    the batch: a consumer of an untrusted topic must not stall on it. Without,
    it fails the batch (the store's own log is trusted: a failure there is a
    bug to fix, not data to skip).

    The batch's statements only write (no answer is awaited per envelope),
    so a pipelined transaction sends them together.
    """
    batch = list(envelopes)
    applied_to = _lock_positions(tx, {e.tenant_id or "" for e in batch})
    moved: set[str] = set()
    applied = 0
    for envelope in batch:
        tenant = envelope.tenant_id or ""
        if envelope.position <= applied_to[tenant]:
            continue  # a redelivery: this tenant's rows already have it
        if reject is None:
            _apply(tx, envelope)
        elif not _salvaged(tx, envelope, reject, poison):
            continue  # dead-lettered: the tenant's position stays
        applied_to[tenant] = envelope.position
        moved.add(tenant)
        applied += 1
    tx.executemany(
        "UPDATE projection_tenant_positions SET position = ? WHERE tenant_id = ?",
        [(applied_to[t], t) for t in sorted(moved)],
    )
    advance_checkpoint(tx, source, reached)
    return applied


def advance_checkpoint(tx: Tx, source: str, position: int) -> None:
    """Raises `source`'s checkpoint to `position`, never lowers it (a slower
    writer may commit after a faster one)."""
    tx.execute(
        "INSERT INTO projection_checkpoints (source, position) VALUES (?, ?)"
        " ON CONFLICT (source) DO UPDATE SET position = excluded.position"
        " WHERE projection_checkpoints.position < excluded.position",
        (source, position),
    )


def _apply(tx: Tx, envelope: Envelope) -> None:
    for projection in PROJECTIONS:
        projection.apply(tx, envelope)


def _salvaged(
    tx: Tx,
    envelope: Envelope,
    reject: Callable[[Envelope, str], None],
    poison: tuple[type[Exception], ...],
) -> bool:
    tx.execute("SAVEPOINT envelope")
    try:
        _apply(tx, envelope)
    except poison as exc:
        tx.execute("ROLLBACK TO SAVEPOINT envelope")
        reject(envelope, f"{type(exc).__name__}: {exc}"[:500])
        return False
    tx.execute("RELEASE SAVEPOINT envelope")
    return True


def _lock_positions(tx: Tx, tenants: set[str]) -> dict[str, int]:
    """The applied position of each tenant, its row locked until the batch
    commits: of two projectors racing over the same envelopes, the second
    waits here and then finds them applied, so each is applied once.
    Rows are made and locked in one order (tenant id), so two batches
    cannot deadlock; SQLite needs no row lock (BEGIN IMMEDIATE)."""
    ordered = sorted(tenants)
    tx.executemany(
        "INSERT INTO projection_tenant_positions (tenant_id, position)"
        " VALUES (?, 0) ON CONFLICT (tenant_id) DO NOTHING",
        [(t,) for t in ordered],
    )
    lock = str(getattr(tx, "row_lock", ""))  # " FOR UPDATE" on PostgreSQL
    found: dict[str, int] = {}
    for start in range(0, len(ordered), 500):
        chunk = ordered[start : start + 500]
        rows = tx.execute(
            "SELECT tenant_id, position FROM projection_tenant_positions"
            f" WHERE tenant_id IN ({','.join('?' * len(chunk))})"
            f" ORDER BY tenant_id{lock}",
            chunk,
        )
        found.update((str(t), int(p)) for t, p in rows)
    return found
