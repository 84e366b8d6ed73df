"""Contracts over time, through the command bus (store in memory): changes
scheduled for an instant, applied by the first command on the pool after it
or by the scheduler, refused ones failing alone; seats moved between
sibling sub-tenants."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from application.auth import Principal, Role, system
from application.bus import CommandBus
from application.committer import Committer
from application.context import Context
from application.views import ChangeView, PoolView, TransferView
from domain import commands as c
from domain.errors import (
    DomainError,
    InvalidState,
    LimitBelowUsage,
    QuotaExhausted,
    ValidationFailed,
)
from domain.scheduled_change import ScheduledChange
from domain.seat_pool import SeatPool, pool_id
from tests.unit.memory_store import MemoryStore

START = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
OPERATOR = Principal("op", Role.OPERATOR)
SCHEDULER = system("scheduler")


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def days(self, n: float) -> datetime:
        return START + timedelta(days=n)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def bus(store: MemoryStore, clock: Clock) -> Iterator[CommandBus]:
    bus = CommandBus(Committer(store, store, clock, max_batch=50), store)
    yield bus
    bus.stop()


def run(bus: CommandBus, command: c.Command, **context: Any) -> Any:
    return bus.handle(OPERATOR, command, Context(**context))


class Tree:
    """A partner with `parent_limit` seats of `x`, and sub-tenants A and B."""

    def __init__(self, bus: CommandBus, parent_limit: int = 10) -> None:
        self.bus = bus
        self.p = self.tenant("P")
        run(bus, c.BookLicense(tenant_id=self.p, feature="multi_tenant"))
        self.limit(self.p, parent_limit)
        self.a = self.tenant("A", self.p)
        self.b = self.tenant("B", self.p)

    def tenant(self, name: str, parent: UUID | None = None) -> UUID:
        view = run(self.bus, c.CreateTenant(name=name, parent_id=parent)).view
        return UUID(str(view.tenant_id))

    def limit(self, tenant: UUID, limit: int, at: datetime | None = None) -> Any:
        cmd = c.SetSeatLimit(tenant_id=tenant, pool="x", limit=limit, effective_at=at)
        return run(self.bus, cmd).view

    def assign(self, tenant: UUID, *holders: str) -> PoolView:
        view = None
        for holder in holders:
            cmd = c.AssignSeat(tenant_id=tenant, pool="x", holder_id=holder)
            view = run(self.bus, cmd).view
        assert isinstance(view, PoolView)
        return view

    def pool(self, store: MemoryStore, tenant: UUID) -> SeatPool:
        found = store.get(pool_id(tenant, "x"))
        assert isinstance(found, SeatPool)
        return found


def change_in(store: MemoryStore, view: ChangeView) -> ScheduledChange:
    found = store.get(view.change_id)
    assert isinstance(found, ScheduledChange)
    return found


def test_a_scheduled_raise_is_recorded_now_and_applied_at_its_instant(
    bus: CommandBus, store: MemoryStore, clock: Clock
) -> None:
    t = Tree(bus)
    t.limit(t.a, 2)
    t.assign(t.a, "h1", "h2")
    outcome = run(
        bus,
        c.SetSeatLimit(tenant_id=t.a, pool="x", limit=4, effective_at=clock.days(1)),
    )
    assert outcome.status == 202
    assert isinstance(outcome.view, ChangeView) and outcome.view.status == "scheduled"
    with pytest.raises(QuotaExhausted):  # not yet: the contract is still 2
        t.assign(t.a, "h3")
    assert [v["limit"] for v in t.pool(store, t.a).pending_changes().values()] == [4]

    clock.now = clock.days(1)
    view = t.assign(t.a, "h3")  # the command applies the change first
    assert (view.limit, view.used, view.scheduled) == (4, 3, ())
    change = change_in(store, outcome.view)
    assert (change.status, change.settled_at) == (
        "applied",
        "2026-12-02T12:00:00+00:00",
    )
    assert t.pool(store, t.p).allocations[str(t.a)] == 4


def test_a_scheduled_raise_the_parent_can_no_longer_cover_fails_alone(
    bus: CommandBus, store: MemoryStore, clock: Clock
) -> None:
    t = Tree(bus, parent_limit=10)
    t.limit(t.a, 2)
    scheduled = t.limit(t.a, 8, clock.days(1))
    t.limit(t.b, 5)  # meanwhile the parent gave its headroom to B
    parent_version = t.pool(store, t.p).version

    clock.now = clock.days(2)
    view = t.assign(t.a, "h1")  # applies (here: fails) the change, then assigns
    assert (view.limit, view.used) == (2, 1)
    change = change_in(store, scheduled)
    assert (change.status, change.reason) == ("failed", QuotaExhausted.code)
    assert "3 seats left" in str(change.detail)
    assert t.pool(store, t.p).version == parent_version  # nothing else changed
    assert t.pool(store, t.p).allocations == {str(t.a): 2, str(t.b): 5}


def test_a_scheduled_lowering_below_usage_fails(
    bus: CommandBus, store: MemoryStore, clock: Clock
) -> None:
    t = Tree(bus)
    t.limit(t.a, 5)
    scheduled = t.limit(t.a, 1, clock.days(1))
    t.assign(t.a, "h1", "h2")

    clock.now = clock.days(1)
    outcome = bus.handle(SCHEDULER, c.ApplyDueChanges(tenant_id=t.a, pool="x"))
    assert outcome.view.limit == 5
    change = change_in(store, scheduled)
    assert (change.status, change.reason) == ("failed", LimitBelowUsage.code)
    assert store.log[-1][2]["actor"] == "system:scheduler"


def test_changes_due_together_apply_in_the_order_of_their_instants(
    bus: CommandBus, store: MemoryStore, clock: Clock
) -> None:
    t = Tree(bus)
    t.limit(t.a, 2)
    later = t.limit(t.a, 3, clock.days(2))
    sooner = t.limit(t.a, 6, clock.days(1))
    clock.now = clock.days(3)
    bus.handle(SCHEDULER, c.ApplyDueChanges(tenant_id=t.a, pool="x"))
    assert t.pool(store, t.a).limit == 3
    assert change_in(store, sooner).status == change_in(store, later).status
    assert t.pool(store, t.p).allocations[str(t.a)] == 3


def test_a_refused_command_leaves_its_due_change_for_the_next_one(
    bus: CommandBus, store: MemoryStore, clock: Clock
) -> None:
    t = Tree(bus)
    t.limit(t.a, 1)
    t.assign(t.a, "h1")
    scheduled = t.limit(t.a, 2, clock.days(1))
    clock.now = clock.days(1)
    with pytest.raises(DomainError):  # refused: already holds a seat
        t.assign(t.a, "h1")
    assert change_in(store, scheduled).status == "scheduled"
    assert t.assign(t.a, "h2").limit == 2


def test_a_change_must_be_for_an_instant_in_the_future(
    bus: CommandBus, clock: Clock
) -> None:
    t = Tree(bus)
    for at in (clock.now, clock.now - timedelta(seconds=1)):
        with pytest.raises(ValidationFailed) as refused:
            t.limit(t.a, 2, at)
        assert refused.value.extra["field"] == "effective_at"


def test_a_scheduled_change_can_be_cancelled_only_while_scheduled(
    bus: CommandBus, store: MemoryStore, clock: Clock
) -> None:
    t = Tree(bus)
    t.limit(t.a, 2)
    scheduled = t.limit(t.a, 3, clock.days(1))
    cancelled = run(bus, c.CancelScheduledChange(change_id=scheduled.change_id)).view
    assert cancelled.status == "cancelled"
    assert t.pool(store, t.a).pending_changes() == {}
    with pytest.raises(InvalidState):
        run(bus, c.CancelScheduledChange(change_id=scheduled.change_id))

    applied = t.limit(t.a, 4, clock.days(1))
    clock.now = clock.days(1)
    with pytest.raises(InvalidState):  # its instant came: applied first
        run(bus, c.CancelScheduledChange(change_id=applied.change_id))


def test_a_repeated_schedule_is_answered_alike_and_recorded_once(
    bus: CommandBus, store: MemoryStore, clock: Clock
) -> None:
    t = Tree(bus)
    cmd = c.SetSeatLimit(tenant_id=t.a, pool="x", limit=2, effective_at=clock.days(1))
    first = run(bus, cmd, idempotency_key="k1")
    events = len(store.log)
    again = run(bus, cmd, idempotency_key="k1")
    assert (again.status, again.view, again.replayed) == (202, first.view, True)
    assert len(store.log) == events


# -- transfers ----------------------------------------------------------------


def transfer(t: Tree, quantity: int, to: UUID | None = None) -> Any:
    cmd = c.TransferSeats(
        tenant_id=t.a, pool="x", to_tenant_id=to or t.b, quantity=quantity
    )
    return run(t.bus, cmd)


def test_a_transfer_moves_seats_and_leaves_the_parent_as_it_was(
    bus: CommandBus, store: MemoryStore
) -> None:
    t = Tree(bus, parent_limit=10)
    t.limit(t.a, 6)
    t.assign(t.a, "h1")
    before = t.pool(store, t.p).usage(START)
    outcome = transfer(t, 4)
    assert isinstance(outcome.view, TransferView)
    assert (outcome.view.from_pool.limit, outcome.view.to_pool.limit) == (2, 4)
    after = t.pool(store, t.p)
    assert after.usage(START) == before
    assert after.allocations == {str(t.a): 2, str(t.b): 4}
    assert t.pool(store, t.b).parent_pool_id == after.id  # opened, drawing


def test_a_transfer_that_would_leave_the_giver_below_its_usage_is_refused(
    bus: CommandBus, store: MemoryStore
) -> None:
    t = Tree(bus)
    t.limit(t.a, 3)
    t.assign(t.a, "h1", "h2")
    events = len(store.log)
    for quantity in (2, 5):
        with pytest.raises(LimitBelowUsage):
            transfer(t, quantity)
    assert len(store.log) == events
    assert store.get(pool_id(t.b, "x")) is None


def test_a_transfer_to_a_tenant_that_is_not_a_sibling_is_refused(
    bus: CommandBus, store: MemoryStore
) -> None:
    t = Tree(bus)
    t.limit(t.a, 3)
    run(bus, c.BookLicense(tenant_id=t.a, feature="multi_tenant"))
    grandchild = t.tenant("G", t.a)
    stranger = t.tenant("S")
    unknown = UUID("00000000-0000-4000-8000-00000000dead")
    for to in (grandchild, stranger, unknown, t.p, t.a):
        with pytest.raises(ValidationFailed) as refused:
            transfer(t, 1, to)
        assert refused.value.extra["field"] == "to_tenant_id"


def test_a_transfer_needs_both_pools_to_draw_from_the_parent(
    bus: CommandBus, store: MemoryStore
) -> None:
    t = Tree(bus)
    lone = t.tenant("L", t.p)  # its pool opened while the parent had none
    t.limit(t.a, 3)
    run(bus, c.SetSeatLimit(tenant_id=lone, pool="y", limit=3))
    with pytest.raises(ValidationFailed):
        run(
            bus, c.TransferSeats(tenant_id=lone, pool="y", to_tenant_id=t.a, quantity=1)
        )


def test_a_repeated_transfer_is_answered_with_the_pools_it_left(
    bus: CommandBus, store: MemoryStore
) -> None:
    t = Tree(bus)
    t.limit(t.a, 5)
    cmd = c.TransferSeats(tenant_id=t.a, pool="x", to_tenant_id=t.b, quantity=2)
    first = run(bus, cmd, idempotency_key="move-2")
    t.assign(t.b, "later")  # the receiver moves on
    again = run(bus, cmd, idempotency_key="move-2")
    assert again.replayed and again.view == first.view
    assert t.pool(store, t.a).limit == 3
