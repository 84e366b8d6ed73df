"""The application's use cases, the same tests on SQLite and on PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from domain.commands import (
    AssignSeat,
    CreateTenant,
    ReleaseSeat,
    SetSeatLimit,
    UpdateTenant,
)
from domain.errors import DomainError, LimitBelowUsage, QuotaExhausted
from domain.seat_pool import SeatPool, Usage
from infra.bootstrap import Container
from infra.events import CommandContext, to_envelope


def usage(pool: SeatPool) -> Usage:
    return pool.usage(datetime.now(UTC))


def make_tenant(c: Container, ctx: CommandContext, name: str = "Acme", **kw: object):
    return c.ledger.create_tenant(ctx, CreateTenant(name=name, **kw)).aggregate


def test_racing_assignments_never_oversell(
    container: Container, ctx: CommandContext
) -> None:
    tenant = make_tenant(container, ctx)
    container.ledger.set_seat_limit(
        ctx, SetSeatLimit(tenant_id=tenant.id, pool="expenses", limit=10)
    )

    def assign(i: int) -> str:
        try:
            container.ledger.assign_seat(
                ctx, AssignSeat(tenant_id=tenant.id, pool="expenses", holder_id=f"u{i}")
            )
            return "ok"
        except DomainError as e:
            return e.code

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(assign, range(40)))
    assert results.count("ok") == 10
    assert set(results) == {"ok", "quota_exhausted"}
    assert usage(container.ledger.pool(tenant.id, "expenses")).used == 10


def test_every_event_records_actor_correlation_and_tenant(
    container: Container,
) -> None:
    ctx = CommandContext(actor="key:alice", correlation_id="corr-1")
    tenant = make_tenant(container, ctx)
    notifications = container.ledger.recorder.select_notifications(1, 100)
    envelopes = [
        to_envelope(n, container.ledger.mapper.transcoder) for n in notifications
    ]
    assert envelopes
    for e in envelopes:
        assert e.actor == "key:alice"
        assert e.correlation_id == "corr-1"
        assert e.tenant_id == str(tenant.id)


def test_child_pool_draws_from_parent_in_one_save(
    container: Container, ctx: CommandContext
) -> None:
    ledger = container.ledger
    parent = make_tenant(container, ctx, "Partner")
    ledger.book_license(ctx, parent.id, "multi_tenant")
    child = make_tenant(container, ctx, "Customer", parent_id=parent.id)
    ledger.set_seat_limit(
        ctx, SetSeatLimit(tenant_id=parent.id, pool="users", limit=10)
    )
    ledger.set_seat_limit(ctx, SetSeatLimit(tenant_id=child.id, pool="users", limit=6))
    assert usage(ledger.pool(parent.id, "users")).available == 4
    with pytest.raises(QuotaExhausted):
        ledger.set_seat_limit(
            ctx, SetSeatLimit(tenant_id=child.id, pool="users", limit=11)
        )
    with pytest.raises(LimitBelowUsage):
        ledger.set_seat_limit(
            ctx, SetSeatLimit(tenant_id=parent.id, pool="users", limit=5)
        )
    ledger.set_seat_limit(ctx, SetSeatLimit(tenant_id=child.id, pool="users", limit=2))
    assert usage(ledger.pool(parent.id, "users")).available == 8


def test_projection_follows_the_store(
    container: Container, ctx: CommandContext
) -> None:
    tenant = make_tenant(container, ctx)
    container.ledger.set_seat_limit(
        ctx, SetSeatLimit(tenant_id=tenant.id, pool="expenses", limit=3)
    )
    container.ledger.assign_seat(
        ctx, AssignSeat(tenant_id=tenant.id, pool="expenses", holder_id="a")
    )
    container.follower.catch_up()
    from projections.usage import pools_of

    with container.db.read() as tx:
        pools = pools_of(tx, str(tenant.id), datetime.now(UTC))
    assert [(p["pool"], p["limit"], p["used"]) for p in pools] == [("expenses", 3, 1)]
    assert container.follower.position() == container.ledger.head()


def test_pool_and_tenant_past_their_snapshots_behave_the_same(
    container: Container, ctx: CommandContext
) -> None:
    """Snapshots every 50 events: state from snapshot + tail == full replay,
    and commands keep working on state rebuilt from a snapshot."""
    ledger = container.ledger
    tenant = make_tenant(container, ctx)
    for i in range(60):
        ledger.update_tenant(ctx, UpdateTenant(tenant_id=tenant.id, name=f"Acme {i}"))
    ledger.set_seat_limit(
        ctx, SetSeatLimit(tenant_id=tenant.id, pool="expenses", limit=130)
    )
    for i in range(120):
        ledger.assign_seat(
            ctx, AssignSeat(tenant_id=tenant.id, pool="expenses", holder_id=f"u{i}")
        )
    for i in range(0, 120, 3):
        ledger.release_seat(
            ctx, ReleaseSeat(tenant_id=tenant.id, pool="expenses", holder_id=f"u{i}")
        )
    env = container.settings.eventsourcing_env() | {"AGGREGATE_CACHE_MAXSIZE": ""}
    from_snapshots = type(ledger)(env=env)
    from_events = type(ledger)(env=env | {"IS_SNAPSHOTTING_ENABLED": "n"})
    try:
        pool = from_snapshots.pool(tenant.id, "expenses")
        assert pool.version > 150
        assert vars(pool) == vars(from_events.pool(tenant.id, "expenses"))
        assert vars(from_snapshots.tenant(tenant.id)) == vars(
            from_events.tenant(tenant.id)
        )
        for i in range(50):
            from_snapshots.assign_seat(
                ctx, AssignSeat(tenant_id=tenant.id, pool="expenses", holder_id=f"x{i}")
            )
        pool = from_snapshots.pool(tenant.id, "expenses")
        from_snapshots.close_tenant(ctx, tenant.id)
        with pytest.raises(DomainError) as refused:
            from_snapshots.update_tenant(
                ctx, UpdateTenant(tenant_id=tenant.id, name="After")
            )
        assert refused.value.code == "invalid_state"
    finally:
        from_snapshots.close()
        from_events.close()
    assert usage(pool).used == 130
    assert pool.level == "full"
