"""A SeatAssigned stored by the foundation release (schema 1: no `end_date`)
among today's events, on SQLite and on PostgreSQL: the aggregate, snapshots,
envelopes and the usage projection all read it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from domain.commands import AssignSeat, CreateTenant, SetSeatLimit
from domain.seat_pool import SeatPool, pool_id
from infra.bootstrap import Container
from infra.events import to_envelope
from projections.envelope import Envelope
from projections.usage import holders_of, pools_of
from tests.integration.store_support import cold_container, replayed
from tests.support import load, result_id, run

TOPIC = "domain.seat_pool:SeatPool.SeatAssigned"


def contracted_pool(c: Container, limit: int) -> UUID:
    tenant = result_id(run(c, CreateTenant(name="Acme")))
    run(c, SetSeatLimit(tenant_id=tenant, pool="expenses", limit=limit))
    return tenant


def record_foundation_assignment(c: Container, tenant: UUID, holder: str) -> int:
    """Writes the bytes the foundation release wrote: no end_date and no
    class_version. Returns the event's position."""
    pool: Any = c.store.get(pool_id(tenant, "expenses"))
    state = {
        "timestamp": datetime.now(UTC),
        "holder_id": holder,
        # The stored format's own key, as an old release wrote it.
        "_meta": {
            "actor": "key:foundation",
            "correlation_id": "foundation-1",
            "causation_id": None,
            "tenant_id": str(tenant),
        },
    }
    stored = StoredEvent(
        originator_id=pool.id,
        originator_version=pool.version + 1,
        topic=TOPIC,
        state=c.persistence.mapper.transcoder.encode(state),
    )
    positions = c.persistence.recorder.insert_events([stored])
    assert positions
    return positions[0]


def assign(c: Container, tenant: UUID, holder: str) -> int:
    cmd = AssignSeat(tenant_id=tenant, pool="expenses", holder_id=holder)
    return run(c, cmd).position


def envelope_at(c: Container, position: int) -> Envelope:
    (notification,) = c.persistence.recorder.select_notifications(position, 1)
    return to_envelope(notification, c.persistence.mapper.transcoder)


def test_the_aggregate_reads_a_version_1_assignment_without_end_date(
    container: Container,
) -> None:
    tenant = contracted_pool(container, limit=3)
    record_foundation_assignment(container, tenant, "legacy")

    pool = container.store.get(pool_id(tenant, "expenses"))

    assert isinstance(pool, SeatPool)
    assert pool.holders == {"legacy": None}
    assert pool.usage(datetime.now(UTC)).used == 1
    # Commands keep working on top of it.
    assign(container, tenant, "anna")
    assert load(container, SeatPool, pool_id(tenant, "expenses")).holders == {
        "legacy": None,
        "anna": None,
    }


def test_envelopes_report_the_schema_the_event_was_stored_with(
    container: Container,
) -> None:
    tenant = contracted_pool(container, limit=3)
    old = envelope_at(container, record_foundation_assignment(container, tenant, "x"))
    new = envelope_at(container, assign(container, tenant, "anna"))

    assert (old.type, old.schema_version) == ("SeatAssigned", 1)
    assert old.payload == {"holder_id": "x"}  # the envelope is the stored fact
    assert old.tenant_id == str(tenant)
    assert (new.type, new.schema_version) == ("SeatAssigned", 2)
    assert new.payload == {"holder_id": "anna", "end_date": None}


def test_the_usage_projection_applies_a_version_1_envelope(
    container: Container,
) -> None:
    tenant = contracted_pool(container, limit=3)
    record_foundation_assignment(container, tenant, "legacy")
    assign(container, tenant, "anna")

    container.follower.catch_up()  # feeds every envelope to projections' apply

    now = datetime.now(UTC)
    with container.db.read() as tx:
        holders = holders_of(tx, str(tenant), "expenses", None, 10)
        (pool,) = pools_of(tx, str(tenant), now)
    assert {(h["holder_id"], h["end_date"]) for h in holders} == {
        ("anna", None),
        ("legacy", None),
    }
    assert (pool["limit"], pool["used"]) == (3, 2)
    assert container.follower.position() == container.log.head()


def test_snapshots_taken_over_a_version_1_event_rebuild_the_same_pool(
    container: Container,
) -> None:
    """The snapshot stores the pool's state, not events: a v1 assignment
    inside it needs no upcasting, and one after it is upcast as usual."""
    tenant = contracted_pool(container, limit=100)
    record_foundation_assignment(container, tenant, "before-snapshot")
    for i in range(55):
        assign(container, tenant, f"u{i}")
    record_foundation_assignment(container, tenant, "after-snapshot")

    pid = pool_id(tenant, "expenses")
    from_snapshots = cold_container(container)
    try:
        snapshots = list(from_snapshots.persistence.snapshots.get(pid))
        assert snapshots, "no snapshot was taken"
        pool = from_snapshots.store.get(pid)
        assert vars(pool) == vars(replayed(container, pid))
    finally:
        from_snapshots.close()
    assert isinstance(pool, SeatPool)
    assert pool.holders["before-snapshot"] is None
    assert pool.holders["after-snapshot"] is None
    assert len(pool.holders) == 57
