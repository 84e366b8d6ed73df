"""Tracked pools (limit None) and contracting them: counted, never refused."""

from __future__ import annotations

from uuid import uuid4

import pytest

from domain.errors import LimitBelowUsage, QuotaExhausted
from domain.seat_pool import MEMBERS, SeatPool
from tests.unit.builders import (
    NOW,
    day,
    event_names,
    expiry,
    fill,
    open_pool,
    payloads,
    tally,
)


def test_a_tracked_pool_never_refuses_and_records_no_level() -> None:
    pool = SeatPool.open(uuid4(), MEMBERS, None)
    assert event_names(pool) == ["SeatPoolOpened"]

    for i in range(5):
        pool.assign(f"member-{i}", NOW)
        pool.reserve(f"inv-{i}", expiry(days=7), NOW)
    pool.check_free_seat(NOW)
    pool.change_end_date("member-0", day(-1), NOW)
    pool.change_end_date("member-0", None, NOW)
    pool.release("member-1", NOW)

    names = set(event_names(pool))
    assert names == {
        "SeatAssigned",
        "SeatReserved",
        "SeatEndDateChanged",
        "SeatReleased",
    }
    assert (pool.contracted, pool.limit, pool.level) == (False, None, "ok")
    assert tally(pool)[:3] == (4, 5, 0)


def test_contracting_a_tracked_pool_counts_what_is_already_there() -> None:
    pool = open_pool(limit=None)
    fill(pool, 3)
    pool.assign("ended", NOW, day(-1))
    pool.reserve("inv-1", expiry(days=7), NOW)
    pool.reserve("lapsed", expiry(hours=-1), NOW)
    pool.collect_events()
    parent = uuid4()

    pool.set_limit(4, 0.5, NOW, parent_pool_id=parent)

    contracted = {"limit": 4, "warning_threshold": 0.5, "parent_pool_id": parent}
    # The level it starts at is recorded with the contract: not a crossing.
    assert payloads(pool) == [("SeatPoolContracted", {**contracted, "level": "full"})]
    assert (pool.contracted, pool.level, pool.parent_pool_id) == (True, "full", parent)
    assert tally(pool) == (3, 1, 0, 0)
    with pytest.raises(QuotaExhausted):
        pool.assign("late", NOW)


def test_contracting_below_what_is_already_there_is_refused() -> None:
    pool = open_pool(limit=None)
    fill(pool, 3)
    pool.reserve("inv-1", expiry(days=7), NOW)
    pool.collect_events()

    with pytest.raises(LimitBelowUsage) as caught:
        pool.set_limit(3, None, NOW)

    assert caught.value.extra == {"limit": 3, "in_use": 4}
    assert (pool.contracted, pool.limit) == (False, None)
    assert event_names(pool) == []


def test_contracting_with_room_starts_ok_and_keeps_the_default_threshold() -> None:
    pool = open_pool(limit=None)
    fill(pool, 1)

    pool.set_limit(10, None, NOW)

    assert event_names(pool) == ["SeatPoolContracted"]
    assert (pool.level, pool.warning_threshold, pool.parent_pool_id) == (
        "ok",
        0.8,
        None,
    )


def test_the_parent_pool_is_fixed_when_the_pool_is_contracted() -> None:
    first = uuid4()
    pool = open_pool(limit=None)
    pool.set_limit(5, None, NOW, parent_pool_id=first)
    pool.collect_events()

    pool.set_limit(6, None, NOW, parent_pool_id=uuid4())

    assert pool.parent_pool_id == first
    assert event_names(pool) == ["SeatLimitSet"]


def test_a_tracked_pool_rebuilt_from_its_events_is_still_tracked() -> None:
    pool = SeatPool.open(uuid4(), MEMBERS, None)
    pool.assign("m1", NOW)
    pool.reserve("i1", expiry(days=7), NOW)
    events = pool.collect_events()

    rebuilt = None
    for event in events:
        rebuilt = event.mutate(rebuilt)

    assert isinstance(rebuilt, SeatPool)
    assert vars(rebuilt) == vars(pool)
    assert (rebuilt.contracted, rebuilt.level) == (False, "ok")
