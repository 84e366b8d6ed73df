"""SeatPool: build, call, assert on the usage, the level and the events."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from uuid import uuid4

import pytest

from domain.errors import AlreadyAssigned, LimitBelowUsage, NotFound, QuotaExhausted
from domain.seat_pool import SeatPool, pool_id
from tests.unit.builders import NOW, event_names, expiry, fill, open_pool, tally


def test_opening_records_only_the_opening() -> None:
    tenant_id = uuid4()

    pool = SeatPool.open(tenant_id, "seats", 10)

    assert pool.id == pool_id(tenant_id, "seats")
    assert pool.contracted
    assert tally(pool) == (0, 0, 0, 10)
    assert (pool.usage(NOW).utilization, pool.usage(NOW).level) == (0.0, "ok")
    assert pool.level == "ok"
    assert type(pool.level) is str
    assert pool.warning_threshold == 0.8
    assert event_names(pool) == ["SeatPoolOpened"]


def test_pool_with_limit_zero_is_full_without_a_level_change() -> None:
    pool = SeatPool.open(uuid4(), "seats", 0)

    usage = pool.usage(NOW)
    assert (usage.available, usage.utilization, usage.level) == (0, 1.0, "full")
    assert pool.level == "full"
    assert event_names(pool) == ["SeatPoolOpened"]


def test_usage_follows_the_api_definitions() -> None:
    pool = open_pool(limit=20)
    fill(pool, 4)
    pool.allocate_to_child(uuid4(), 5, NOW)
    pool.reserve("inv-1", expiry(days=7), NOW)
    pool.reserve("inv-2", expiry(days=7), NOW)

    usage = pool.usage(NOW)

    assert (usage.used, usage.reserved, usage.allocated) == (4, 2, 5)
    assert usage.available == 20 - 4 - 2 - 5
    assert usage.utilization == (4 + 2 + 5) / 20
    assert (usage.level, pool.level) == ("ok", "ok")


def test_usage_is_a_frozen_value() -> None:
    usage = open_pool().usage(NOW)

    with pytest.raises(FrozenInstanceError):
        usage.used = 3  # type: ignore[misc]


def test_assignment_takes_a_seat() -> None:
    pool = open_pool()

    pool.assign("alice", NOW)

    assert pool.holders == {"alice": None}
    assert pool.holds("alice")
    assert tally(pool) == (1, 0, 0, 9)
    assert event_names(pool) == ["SeatAssigned"]


def test_assignment_beyond_limit_is_refused() -> None:
    pool = open_pool(limit=2)
    fill(pool, 2)

    with pytest.raises(QuotaExhausted) as caught:
        pool.assign("late", NOW)

    assert caught.value.code == "quota_exhausted"
    assert caught.value.extra["available"] == 0
    assert "late" not in pool.holders
    assert event_names(pool) == []


def test_assignment_into_seats_allocated_to_children_is_refused() -> None:
    pool = open_pool(limit=3)
    pool.allocate_to_child(uuid4(), 3, NOW)

    with pytest.raises(QuotaExhausted):
        pool.assign("alice", NOW)


def test_assignment_into_seats_reserved_by_invitations_is_refused() -> None:
    pool = open_pool(limit=2)
    pool.assign("alice", NOW)
    pool.reserve("inv-1", expiry(days=7), NOW)
    pool.collect_events()

    with pytest.raises(QuotaExhausted):
        pool.assign("bob", NOW)

    assert event_names(pool) == []


def test_assigning_a_holder_twice_is_refused_before_capacity() -> None:
    pool = open_pool(limit=1)
    pool.assign("alice", NOW)
    pool.collect_events()

    # State conflicts are checked before capacity: not quota_exhausted.
    with pytest.raises(AlreadyAssigned):
        pool.assign("alice", NOW)

    assert pool.usage(NOW).used == 1
    assert event_names(pool) == []


def test_release_frees_the_seat() -> None:
    pool = open_pool()
    pool.assign("alice", NOW)
    pool.collect_events()

    pool.release("alice", NOW)

    assert tally(pool) == (0, 0, 0, 10)
    assert not pool.holds("alice")
    assert event_names(pool) == ["SeatReleased"]


def test_release_of_a_non_holder_is_not_found() -> None:
    pool = open_pool()
    pool.assign("alice", NOW)
    pool.collect_events()

    with pytest.raises(NotFound) as caught:
        pool.release("bob", NOW)

    assert caught.value.extra == {"holder_id": "bob"}
    assert pool.usage(NOW).used == 1
    assert event_names(pool) == []


def test_limit_below_usage_is_refused() -> None:
    pool = open_pool(limit=10)
    fill(pool, 3)

    with pytest.raises(LimitBelowUsage) as caught:
        pool.set_limit(2, None, NOW)

    assert caught.value.extra == {"limit": 2, "in_use": 3}
    assert pool.limit == 10
    assert event_names(pool) == []


def test_limit_below_allocations_and_reservations_is_refused() -> None:
    pool = open_pool(limit=10)
    pool.assign("alice", NOW)
    pool.reserve("inv-1", expiry(days=1), NOW)
    pool.allocate_to_child(uuid4(), 4, NOW)
    pool.collect_events()

    with pytest.raises(LimitBelowUsage):
        pool.set_limit(5, None, NOW)

    pool.set_limit(6, None, NOW)
    assert (pool.limit, pool.usage(NOW).available, pool.level) == (6, 0, "full")


def test_setting_the_same_limit_and_threshold_records_nothing() -> None:
    pool = open_pool(limit=10)

    pool.set_limit(10, None, NOW)
    pool.set_limit(10, 0.8, NOW)

    assert event_names(pool) == []


def test_allocation_within_available_seats_is_granted() -> None:
    pool = open_pool(limit=10)
    fill(pool, 2)
    child = uuid4()

    pool.allocate_to_child(child, 8, NOW)

    assert pool.allocations == {str(child): 8}
    assert tally(pool)[2:] == (8, 0)
    assert event_names(pool) == ["SeatAllocatedToChild", "UsageLevelChanged"]


def test_allocation_above_available_seats_is_refused() -> None:
    pool = open_pool(limit=10)
    fill(pool, 2)

    with pytest.raises(QuotaExhausted) as caught:
        pool.allocate_to_child(uuid4(), 9, NOW)

    assert caught.value.extra["available"] == 8
    assert pool.usage(NOW).allocated == 0
    assert event_names(pool) == []


def test_raising_an_allocation_needs_only_the_difference() -> None:
    pool = open_pool(limit=10)
    child = uuid4()
    pool.allocate_to_child(child, 6, NOW)

    with pytest.raises(QuotaExhausted):
        pool.allocate_to_child(child, 11, NOW)
    pool.allocate_to_child(child, 10, NOW)

    assert pool.allocations == {str(child): 10}


def test_allocation_to_zero_removes_it_and_the_same_limit_records_nothing() -> None:
    pool = open_pool(limit=10)
    child = uuid4()
    pool.allocate_to_child(child, 6, NOW)
    pool.collect_events()

    pool.allocate_to_child(child, 0, NOW)
    pool.allocate_to_child(child, 0, NOW)

    assert (pool.allocations, pool.usage(NOW).allocated) == ({}, 0)
    assert event_names(pool) == ["SeatAllocatedToChild"]


def test_set_limit_without_threshold_keeps_the_current_one() -> None:
    pool = open_pool(limit=10, warning_threshold=0.5)

    pool.set_limit(20, None, NOW)

    (limit_set,) = pool.collect_events()
    assert pool.warning_threshold == 0.5
    assert vars(limit_set)["warning_threshold"] == 0.5


def test_a_pool_rebuilt_from_a_json_snapshot_keeps_working() -> None:
    from eventsourcing.domain import Snapshot
    from eventsourcing.persistence import (
        DatetimeAsISO,
        JSONTranscoder,
        Mapper,
        UUIDAsHex,
    )

    pool = SeatPool.open(uuid4(), "expenses", 3)
    pool.assign("a", NOW, "2025-03-31")
    pool.reserve("inv-1", expiry(days=7), NOW)
    pool.collect_events()
    transcoder = JSONTranscoder()
    transcoder.register(UUIDAsHex())
    transcoder.register(DatetimeAsISO())
    mapper: Mapper = Mapper(transcoder=transcoder)
    stored = mapper.to_stored_event(Snapshot.take(pool))
    rebuilt = mapper.to_domain_event(stored).mutate(None)
    assert vars(rebuilt) == vars(pool)
    rebuilt.assign("b", NOW)
    assert rebuilt.level == "full"
    assert event_names(rebuilt) == ["SeatAssigned", "UsageLevelChanged"]
