"""The command bus and its handlers, fast: no server, no database (the store
is kept in memory, tests/unit/memory_store.py)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest

from application.auth import Principal, Role
from application.bus import CommandBus
from application.committer import Committer
from application.context import Context
from domain import commands as c
from domain.errors import (
    AlreadyAssigned,
    Forbidden,
    IdempotencyKeyReused,
    NotFound,
    QuotaExhausted,
)
from domain.member import Member
from domain.seat_pool import SeatPool, pool_id
from domain.tenant import Tenant
from tests.unit.memory_store import MemoryStore

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
OPERATOR = Principal("op", Role.OPERATOR)


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def bus(store: MemoryStore) -> Iterator[CommandBus]:
    committer = Committer(store, store, lambda: NOW, max_batch=100)
    bus = CommandBus(committer, store)
    yield bus
    bus.stop()


def tenant_with_pool(bus: CommandBus, limit: int = 2, pool: str = "expenses") -> UUID:
    view: Any = bus.handle(OPERATOR, c.CreateTenant(name=f"T{limit}{pool}")).view
    bus.handle(
        OPERATOR, c.SetSeatLimit(tenant_id=view.tenant_id, pool=pool, limit=limit)
    )
    return UUID(str(view.tenant_id))


def assign(tenant: UUID, holder: str, pool: str = "expenses") -> c.AssignSeat:
    return c.AssignSeat(tenant_id=tenant, pool=pool, holder_id=holder)


def test_a_command_is_saved_and_answered_with_its_position(
    bus: CommandBus, store: MemoryStore
) -> None:
    tenant = tenant_with_pool(bus)
    outcome = bus.handle(OPERATOR, assign(tenant, "h1"))
    assert outcome.status == 201 and outcome.changed
    assert outcome.position == store.head()
    pool = store.get(pool_id(tenant, "expenses"))
    assert isinstance(pool, SeatPool) and pool.holds("h1")
    assert store.log[-1][2]["actor"] == "key:op"


def test_commands_arriving_together_share_one_transaction(
    bus: CommandBus, store: MemoryStore
) -> None:
    tenant = tenant_with_pool(bus, limit=50)
    before = store.appends
    with ThreadPoolExecutor(16) as pool:
        outcomes = list(
            pool.map(lambda i: bus.handle(OPERATOR, assign(tenant, f"h{i}")), range(40))
        )
    assert len({o.position for o in outcomes}) == 40  # each its own position
    assert store.appends - before < 40  # fewer transactions than commands
    used = store.get(pool_id(tenant, "expenses"))
    assert isinstance(used, SeatPool) and len(used.holders) == 40


def test_a_refused_command_in_a_batch_leaves_nothing_and_disturbs_no_other(
    bus: CommandBus, store: MemoryStore
) -> None:
    tenant = tenant_with_pool(bus, limit=3)
    commands = [assign(tenant, h) for h in ("a", "b", "a", "c", "d")]
    with ThreadPoolExecutor(5) as pool:
        answers = list(pool.map(lambda cmd: _answer(bus, cmd), commands))
    codes = sorted(a if isinstance(a, str) else "ok" for a in answers)
    assert codes == ["already_assigned", "ok", "ok", "ok", "quota_exhausted"]
    pool_ = store.get(pool_id(tenant, "expenses"))
    # c and d raced for the last seat: one of them holds it, never both.
    assert isinstance(pool_, SeatPool) and len(pool_.holders) == 3
    assert {"a", "b"} <= set(pool_.holders)


def _answer(bus: CommandBus, command: c.Command) -> Any:
    try:
        return bus.handle(OPERATOR, command)
    except (AlreadyAssigned, QuotaExhausted) as refused:
        return refused.code


def test_a_refusal_after_a_first_aggregate_changed_undoes_that_change(
    bus: CommandBus, store: MemoryStore
) -> None:
    """Reactivating a member changes the member first; the members pool then
    refuses (full): the member must stay passive, in memory and in the store."""
    tenant = tenant_with_pool(bus, limit=1, pool="members")
    ann: Any = bus.handle(
        OPERATOR, c.AddMember(tenant_id=tenant, email="a@x.io", role="user")
    ).view
    bus.handle(
        OPERATOR,
        c.UpdateMember(tenant_id=tenant, member_id=ann.member_id, status="passive"),
    )
    bus.handle(OPERATOR, c.AddMember(tenant_id=tenant, email="b@x.io", role="user"))
    head = store.head()
    with pytest.raises(QuotaExhausted):
        bus.handle(
            OPERATOR,
            c.UpdateMember(
                tenant_id=tenant, member_id=ann.member_id, status="active", role="lead"
            ),
        )
    assert store.head() == head
    # The next command sees the member as stored, not half-changed.
    view: Any = bus.handle(
        OPERATOR,
        c.UpdateMember(tenant_id=tenant, member_id=ann.member_id, role="other"),
    ).view
    assert (view.status, view.role) == ("passive", "other")
    member = store.get(ann.member_id)
    assert isinstance(member, Member) and member.status == "passive"


def test_state_changed_by_another_writer_is_decided_again(
    bus: CommandBus, store: MemoryStore
) -> None:
    tenant = tenant_with_pool(bus, limit=1)
    bus.handle(OPERATOR, assign(tenant, "mine"))
    # Another process releases the seat behind this bus's back.
    pool = store.get(pool_id(tenant, "expenses"))
    assert isinstance(pool, SeatPool)
    pool.release("mine", NOW)
    store.foreign_append(pool.collect_events()[0])
    # The bus's cached pool is full; the store's is not: the answer must be
    # the store's (the freshness check sends the batch back).
    outcome = bus.handle(OPERATOR, assign(tenant, "yours"))
    assert outcome.changed
    fresh = store.get(pool_id(tenant, "expenses"))
    assert isinstance(fresh, SeatPool) and sorted(fresh.holders) == ["yours"]


def test_a_repeat_is_answered_from_the_receipt(
    bus: CommandBus, store: MemoryStore
) -> None:
    tenant = tenant_with_pool(bus)
    first = bus.handle(OPERATOR, assign(tenant, "h"), Context(idempotency_key="k"))
    head = store.head()
    again = bus.handle(OPERATOR, assign(tenant, "h"), Context(idempotency_key="k"))
    assert again.replayed and not first.replayed
    assert (again.view, again.position, again.status) == (
        first.view,
        first.position,
        201,
    )
    assert store.head() == head
    with pytest.raises(IdempotencyKeyReused):
        bus.handle(OPERATOR, assign(tenant, "other"), Context(idempotency_key="k"))


def test_a_repeated_refusal_is_refused_alike_and_keys_are_per_caller(
    bus: CommandBus,
) -> None:
    tenant = tenant_with_pool(bus)
    with pytest.raises(NotFound) as first:
        bus.handle(
            OPERATOR, assign(tenant, "h", pool="nope"), Context(idempotency_key="k")
        )
    with pytest.raises(NotFound) as again:
        bus.handle(
            OPERATOR, assign(tenant, "h", pool="nope"), Context(idempotency_key="k")
        )
    assert str(again.value) == str(first.value)
    other = Principal("other", Role.OPERATOR)
    fresh = bus.handle(other, assign(tenant, "h"), Context(idempotency_key="k"))
    assert not fresh.replayed and fresh.changed


def test_a_dry_run_answers_as_the_command_would_and_records_nothing(
    bus: CommandBus, store: MemoryStore
) -> None:
    tenant = tenant_with_pool(bus, limit=1)
    head = store.head()
    would = bus.handle(OPERATOR, assign(tenant, "h"), Context(dry_run=True))
    assert would.dry_run and would.status == 201 and would.position == head
    assert store.head() == head
    real = bus.handle(OPERATOR, assign(tenant, "h"))
    assert real.view == would.view
    with pytest.raises(QuotaExhausted):
        bus.handle(OPERATOR, assign(tenant, "h2"), Context(dry_run=True))


def test_a_dry_run_with_a_recorded_key_answers_as_the_repeat_would(
    bus: CommandBus, store: MemoryStore
) -> None:
    """A repeat of a recorded command is answered from its receipt, so a dry
    run of it says so; a dry run itself leaves no receipt behind."""
    tenant = tenant_with_pool(bus, limit=5)
    first = bus.handle(OPERATOR, assign(tenant, "h"), Context(idempotency_key="k"))
    head = store.head()
    would = bus.handle(
        OPERATOR, assign(tenant, "h"), Context(idempotency_key="k", dry_run=True)
    )
    assert (would.replayed, would.dry_run) == (True, True)
    assert (would.status, would.position) == (first.status, first.position)
    assert store.head() == head
    fresh = Context(idempotency_key="k2", dry_run=True)
    assert not bus.handle(OPERATOR, assign(tenant, "h2"), fresh).replayed
    real = bus.handle(OPERATOR, assign(tenant, "h2"), Context(idempotency_key="k2"))
    assert not real.replayed and real.changed and store.head() > head


def test_the_catalogue_rule_authorizes_every_command(bus: CommandBus) -> None:
    tenant = tenant_with_pool(bus)
    admin = Principal("admin", Role.TENANT_ADMIN, tenant)
    bus.handle(admin, assign(tenant, "h"))  # its own tenant: allowed
    with pytest.raises(Forbidden):  # a contract is an ancestor's business
        bus.handle(admin, c.SetSeatLimit(tenant_id=tenant, pool="expenses", limit=9))
    auditor = Principal("aud", Role.AUDITOR, tenant)
    with pytest.raises(Forbidden):
        bus.handle(auditor, assign(tenant, "h2"))
    stranger = Principal("s", Role.TENANT_ADMIN, tenant_with_pool(bus, 1, "other"))
    with pytest.raises(Forbidden):
        bus.handle(stranger, assign(tenant, "h3"))


def test_handlers_load_the_tenant_once_per_command(
    bus: CommandBus, store: MemoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = tenant_with_pool(bus)
    loads: list[UUID] = []
    real = store.load
    monkeypatch.setattr(store, "load", lambda i: loads.append(i) or real(i))
    bus.committer.cache.clear()
    bus.handle(Principal("admin", Role.TENANT_ADMIN, tenant), assign(tenant, "h"))
    assert loads.count(tenant) == 1  # authorization and the handler share it
    assert isinstance(store.get(tenant), Tenant)
