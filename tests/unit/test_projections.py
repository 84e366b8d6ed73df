"""Read models fed hand-built envelopes, on SQLite in memory: exactly once."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest

from domain.seat_pool import SeatPool
from domain.tenant import Tenant
from projections.registry import apply_batch, checkpoint
from projections.tenants import subtree
from projections.usage import holders_of, pools_of
from tests.unit.builders import NOW
from tests.unit.sqlite_projections import (
    ENVELOPE_META,
    TENANT_FIELDS,
    Log,
    SqliteTx,
    feed,
)

T = "6ed23969-be7e-49d7-949e-bbb0651e2a49"


def payload_keys(event: Any) -> set[str]:
    return set(vars(event)) - ENVELOPE_META


def test_hand_built_payloads_have_the_domain_events_keys(log: Log) -> None:
    pool = SeatPool.open(uuid4(), "seats", 5)
    pool.allocate_to_child(uuid4(), 1, NOW)
    pool.assign("a", NOW)
    opened, allocated, assigned = pool.collect_events()
    tenant = Tenant(name="Acme", parent_id=None, **TENANT_FIELDS)
    (created,) = tenant.collect_events()

    assert payload_keys(opened) == set(log.opened(T, "seats", 5).payload)
    assert payload_keys(allocated) == {"child_tenant_id", "limit"}
    assert payload_keys(assigned) == {"holder_id", "end_date"}
    assert payload_keys(created) == set(log.tenant("Acme").payload)


def test_dashboard_counts_follow_opens_assigns_releases_and_allocations(
    tx: SqliteTx, log: Log
) -> None:
    child = str(uuid4())
    feed(
        tx,
        log.opened(T, "seats", 10),
        *(log.pool(T, "seats", "SeatAssigned", holder_id=h) for h in "abc"),
        log.pool(T, "seats", "SeatReleased", holder_id="b"),
        log.pool(T, "seats", "SeatAllocatedToChild", child_tenant_id=child, limit=3),
        log.pool(T, "seats", "SeatLimitSet", limit=12, warning_threshold=0.9),
        log.pool(T, "seats", "UsageLevelChanged", level="ok", previous="ok"),
    )

    assert pools_of(tx, T, NOW) == [
        {
            "tenant_id": T,
            "pool": "seats",
            "limit": 12,
            "used": 2,
            "reserved": 0,
            "allocated": 3,
            "warning_threshold": 0.9,
            "position": log.position,
        }
    ]


def test_allocations_to_several_children_add_up_and_zero_removes_one(
    tx: SqliteTx, log: Log
) -> None:
    first, second = str(uuid4()), str(uuid4())
    allocate = "SeatAllocatedToChild"
    feed(
        tx,
        log.opened(T, "seats", 10),
        log.pool(T, "seats", allocate, child_tenant_id=first, limit=2),
        log.pool(T, "seats", allocate, child_tenant_id=second, limit=3),
        log.pool(T, "seats", allocate, child_tenant_id=first, limit=4),
    )
    assert pools_of(tx, T, NOW)[0]["allocated"] == 7

    feed(tx, log.pool(T, "seats", allocate, child_tenant_id=second, limit=0))

    assert pools_of(tx, T, NOW)[0]["allocated"] == 4


def test_dashboard_shows_only_the_tenants_own_pools_by_name(
    tx: SqliteTx, log: Log
) -> None:
    other = str(uuid4())
    feed(
        tx,
        log.opened(T, "seats", 5),
        log.opened(other, "seats", 7),
        log.opened(T, "expenses", 3),
    )

    assert [p["pool"] for p in pools_of(tx, T, NOW)] == ["expenses", "seats"]
    assert [p["limit"] for p in pools_of(tx, other, NOW)] == [7]
    assert pools_of(tx, str(uuid4()), NOW) == []


def test_holders_are_listed_by_id_and_paged_after_a_cursor(
    tx: SqliteTx, log: Log
) -> None:
    feed(tx, log.opened(T, "seats", 10), log.opened(T, "other", 10))
    assigns = [log.pool(T, "seats", "SeatAssigned", holder_id=h) for h in "dacb"]
    feed(tx, *assigns, log.pool(T, "other", "SeatAssigned", holder_id="x"))

    first = holders_of(tx, T, "seats", None, 2)
    rest = holders_of(tx, T, "seats", "b", 2)

    assert [h["holder_id"] for h in first] == ["a", "b"]
    assert [h["holder_id"] for h in rest] == ["c", "d"]
    assert holders_of(tx, T, "seats", "d", 2) == []
    by_id = {e.payload["holder_id"]: e for e in assigns}
    assert first[0] == {
        "holder_id": "a",
        "assigned_at": by_id["a"].occurred_at,
        "end_date": None,
        "position": by_id["a"].position,
    }


def test_released_holder_leaves_the_listing(tx: SqliteTx, log: Log) -> None:
    feed(
        tx,
        log.opened(T, "seats", 10),
        log.pool(T, "seats", "SeatAssigned", holder_id="a"),
        log.pool(T, "seats", "SeatAssigned", holder_id="b"),
        log.pool(T, "seats", "SeatReleased", holder_id="a"),
    )

    assert [h["holder_id"] for h in holders_of(tx, T, "seats", None, 10)] == ["b"]


def test_subtree_lists_parents_before_children_and_siblings_by_name(
    tx: SqliteTx, log: Log
) -> None:
    root = log.tenant("Root")
    beta = log.tenant("Beta", root.aggregate_id)
    alpha = log.tenant("Alpha", root.aggregate_id)
    zed = log.tenant("Zed", alpha.aggregate_id)
    feed(tx, root, beta, alpha, zed, log.tenant("Unrelated"))
    r, a = root.aggregate_id, alpha.aggregate_id
    feed(tx, log.event("Tenant", a, "TenantHandedOver", a))

    tree = subtree(tx, r)

    assert [(t["name"], t["depth"]) for t in tree] == [
        ("Root", 0),
        ("Alpha", 1),
        ("Beta", 1),
        ("Zed", 2),
    ]
    assert tree[1] == {
        "tenant_id": a,
        "parent_id": r,
        "name": "Alpha",
        "type": "STANDARD",
        "edition": "BASIC",
        "status": "active",
        "depth": 1,
    }
    assert [t["name"] for t in subtree(tx, a)] == ["Alpha", "Zed"]
    assert subtree(tx, str(uuid4())) == []


def test_applying_the_same_envelope_twice_changes_nothing(
    tx: SqliteTx, log: Log
) -> None:
    opened = log.opened(T, "seats", 10)
    assign = log.pool(T, "seats", "SeatAssigned", holder_id="a")
    feed(tx, opened, assign)
    before = tx.dump()

    assert feed(tx, assign) == 0

    assert tx.dump() == before
    assert pools_of(tx, T, NOW)[0]["used"] == 1


@pytest.mark.parametrize("again", ["store", "kafka:0"])
def test_applying_the_same_batch_twice_changes_nothing(
    tx: SqliteTx, log: Log, again: str
) -> None:
    tenant = log.tenant("Acme")
    t = tenant.aggregate_id
    batch = [
        tenant,
        log.opened(t, "seats", 2),
        log.pool(t, "seats", "SeatAssigned", holder_id="a"),
        log.pool(t, "seats", "SeatReleased", holder_id="a"),
        log.pool(t, "seats", "SeatAllocatedToChild", child_tenant_id=T, limit=1),
    ]
    assert apply_batch(tx, batch, "store", 9) == 5
    before = tx.dump()

    # Whichever source redelivers it, the batch is recognised and skipped.
    assert apply_batch(tx, batch, again, 9) == 0

    assert tx.dump() == before
    assert checkpoint(tx, again) == 9


def test_checkpoint_records_reached_even_past_the_last_envelope(
    tx: SqliteTx, log: Log
) -> None:
    assert checkpoint(tx, "store") == 0

    # Positions may skip numbers: the source reached 7 though the last was 1.
    assert apply_batch(tx, [log.tenant("Acme")], "store", 7) == 1
    assert checkpoint(tx, "store") == 7

    assert apply_batch(tx, [], "store", 9) == 0
    assert (checkpoint(tx, "store"), checkpoint(tx, "kafka:0")) == (9, 0)


def test_events_no_projection_cares_about_still_count_as_applied(
    tx: SqliteTx, log: Log
) -> None:
    ignored = log.event("Person", str(uuid4()), "PersonRegistered", T, email="a@b.c")

    assert apply_batch(tx, [ignored], "store", ignored.position) == 1
    assert checkpoint(tx, "store") == ignored.position
    assert apply_batch(tx, [ignored], "store", ignored.position) == 0


def test_checkpoint_never_moves_backwards(tx: SqliteTx, log: Log) -> None:
    batch = [log.tenant("Acme"), log.tenant("Beta")]
    apply_batch(tx, batch, "kafka:0", 2)

    # A redelivered older batch must not rewind what the source reached.
    assert apply_batch(tx, batch[:1], "kafka:0", 1) == 0

    assert checkpoint(tx, "kafka:0") == 2
