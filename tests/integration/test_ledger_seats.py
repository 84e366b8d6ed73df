"""The application's use cases, the same tests on SQLite and on PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest

from application.auth import Principal, Role
from domain.commands import (
    AssignSeat,
    BookLicense,
    CloseTenant,
    CreateTenant,
    ReleaseSeat,
    SetSeatLimit,
    UpdateTenant,
)
from domain.errors import DomainError, LimitBelowUsage, QuotaExhausted
from domain.seat_pool import SeatPool, Usage, pool_id
from domain.tenant import Tenant
from infra.bootstrap import Container
from infra.events import to_envelope
from tests.integration.store_support import cold_container, replayed
from tests.support import load, result_id, run


def usage(pool: SeatPool) -> Usage:
    return pool.usage(datetime.now(UTC))


def pool_of(c: Container, tenant_id: UUID, slug: str) -> SeatPool:
    return load(c, SeatPool, pool_id(tenant_id, slug))


def make_tenant(c: Container, name: str = "Acme", **kw: Any) -> UUID:
    return result_id(run(c, CreateTenant(name=name, **kw)))


def test_racing_assignments_never_oversell(container: Container) -> None:
    tenant = make_tenant(container)
    run(container, SetSeatLimit(tenant_id=tenant, pool="expenses", limit=10))

    def assign(i: int) -> str:
        try:
            run(
                container,
                AssignSeat(tenant_id=tenant, pool="expenses", holder_id=f"u{i}"),
            )
            return "ok"
        except DomainError as e:
            return e.code

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(assign, range(40)))
    assert results.count("ok") == 10
    assert set(results) == {"ok", "quota_exhausted"}
    assert usage(pool_of(container, tenant, "expenses")).used == 10


def test_every_event_records_actor_correlation_and_tenant(
    container: Container,
) -> None:
    alice = Principal("alice", Role.OPERATOR)
    tenant = result_id(
        run(container, CreateTenant(name="Acme"), alice, correlation_id="corr-1")
    )
    notifications = container.persistence.recorder.select_notifications(1, 100)
    envelopes = [
        to_envelope(n, container.persistence.mapper.transcoder) for n in notifications
    ]
    assert envelopes
    for e in envelopes:
        assert e.actor == "key:alice"
        assert e.correlation_id == "corr-1"
        assert e.tenant_id == str(tenant)


def test_child_pool_draws_from_parent_in_one_save(container: Container) -> None:
    c = container
    parent = make_tenant(c, "Partner")
    run(c, BookLicense(tenant_id=parent, feature="multi_tenant"))
    child = make_tenant(c, "Customer", parent_id=parent)
    run(c, SetSeatLimit(tenant_id=parent, pool="users", limit=10))
    run(c, SetSeatLimit(tenant_id=child, pool="users", limit=6))
    assert usage(pool_of(c, parent, "users")).available == 4
    with pytest.raises(QuotaExhausted):
        run(c, SetSeatLimit(tenant_id=child, pool="users", limit=11))
    with pytest.raises(LimitBelowUsage):
        run(c, SetSeatLimit(tenant_id=parent, pool="users", limit=5))
    run(c, SetSeatLimit(tenant_id=child, pool="users", limit=2))
    assert usage(pool_of(c, parent, "users")).available == 8


def test_projection_follows_the_store(container: Container) -> None:
    tenant = make_tenant(container)
    run(container, SetSeatLimit(tenant_id=tenant, pool="expenses", limit=3))
    run(container, AssignSeat(tenant_id=tenant, pool="expenses", holder_id="a"))
    container.follower.catch_up()
    from projections.usage import pools_of

    with container.db.read() as tx:
        pools = pools_of(tx, str(tenant), datetime.now(UTC))
    assert [(p["pool"], p["limit"], p["used"]) for p in pools] == [("expenses", 3, 1)]
    assert container.follower.position() == container.log.head()


def test_pool_and_tenant_past_their_snapshots_behave_the_same(
    container: Container,
) -> None:
    """Snapshots every 50 events: state from snapshot + tail == full replay,
    and commands keep working on state rebuilt from a snapshot."""
    c = container
    tenant = make_tenant(c)
    for i in range(60):
        run(c, UpdateTenant(tenant_id=tenant, name=f"Acme {i}"))
    run(c, SetSeatLimit(tenant_id=tenant, pool="expenses", limit=130))
    for i in range(120):
        run(c, AssignSeat(tenant_id=tenant, pool="expenses", holder_id=f"u{i}"))
    for i in range(0, 120, 3):
        run(c, ReleaseSeat(tenant_id=tenant, pool="expenses", holder_id=f"u{i}"))
    pid = pool_id(tenant, "expenses")
    for aggregate_id in (tenant, pid):
        assert list(c.persistence.snapshots.get(aggregate_id, desc=True, limit=1))
    from_snapshots = cold_container(c)
    try:
        pool = load(from_snapshots, SeatPool, pid)
        assert pool.version > 150
        assert vars(pool) == vars(replayed(c, pid))
        assert vars(load(from_snapshots, Tenant, tenant)) == vars(replayed(c, tenant))
        for i in range(50):
            run(
                from_snapshots,
                AssignSeat(tenant_id=tenant, pool="expenses", holder_id=f"x{i}"),
            )
        pool = load(from_snapshots, SeatPool, pid)
        run(from_snapshots, CloseTenant(tenant_id=tenant))
        with pytest.raises(DomainError) as refused:
            run(from_snapshots, UpdateTenant(tenant_id=tenant, name="After"))
        assert refused.value.code == "invalid_state"
    finally:
        from_snapshots.close()
    assert usage(pool).used == 130
    assert pool.level == "full"
