"""All read models, and how a batch of envelopes is applied exactly once.

Whatever feeds the envelopes (the store's log in embedded mode, a Kafka topic
otherwise), rows and positions are written in the caller's one transaction:
either both are durable or neither is, so a replayed batch changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from projections import contracts, daily, members, orders, tenants, usage
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
    """
    applied = 0
    for envelope in envelopes:
        if reject is None:
            applied += _apply_one(tx, envelope)
            continue
        tx.execute("SAVEPOINT envelope")
        try:
            applied += _apply_one(tx, envelope)
        except poison as exc:
            tx.execute("ROLLBACK TO SAVEPOINT envelope")
            reject(envelope, f"{type(exc).__name__}: {exc}"[:500])
        else:
            tx.execute("RELEASE SAVEPOINT envelope")
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


def _apply_one(tx: Tx, envelope: Envelope) -> int:
    if _already_applied(tx, envelope):
        return 0
    for projection in PROJECTIONS:
        projection.apply(tx, envelope)
    return 1


def _already_applied(tx: Tx, envelope: Envelope) -> bool:
    """Advances the tenant's applied position, or says it was already there.

    A compare-and-set in one statement: the upsert locks the row and checks
    `position < excluded.position` after any concurrent writer committed, and
    returns a row only when it inserted or raised it, so of two projectors
    racing over the same envelope exactly one applies it.
    """
    advanced = tx.execute(
        "INSERT INTO projection_tenant_positions (tenant_id, position) VALUES (?, ?)"
        " ON CONFLICT (tenant_id) DO UPDATE SET position = excluded.position"
        " WHERE projection_tenant_positions.position < excluded.position"
        " RETURNING tenant_id",
        (envelope.tenant_id or "", envelope.position),
    )
    return not advanced
