"""UsageLevelChanged: recorded exactly when the level crosses ok/warning/full."""

from __future__ import annotations

from uuid import uuid4

from domain.seat_pool import SeatPool
from tests.unit.builders import (
    NOW,
    event_names,
    expiry,
    fill,
    later,
    level_changes,
    open_pool,
)


def test_level_changes_are_recorded_exactly_at_the_crossings() -> None:
    pool = open_pool(limit=10)
    fill(pool, 7)

    pool.assign("eighth", NOW)  # 0.8: the default threshold itself is warning
    assert level_changes(pool) == [("ok", "warning")]
    pool.assign("ninth", NOW)
    assert level_changes(pool) == []
    pool.assign("tenth", NOW)
    assert level_changes(pool) == [("warning", "full")]
    pool.release("tenth", NOW)
    assert level_changes(pool) == [("full", "warning")]
    pool.release("ninth", NOW)
    pool.release("eighth", NOW)
    assert level_changes(pool) == [("warning", "ok")]


def test_level_change_is_pending_with_the_change_that_caused_it() -> None:
    pool = open_pool(limit=1)

    pool.assign("alice", NOW)

    assert event_names(pool) == ["SeatAssigned", "UsageLevelChanged"]
    assert pool.level == "full"


def test_reservations_cross_levels_like_seats() -> None:
    pool = open_pool(limit=2)
    pool.assign("alice", NOW)
    pool.collect_events()

    pool.reserve("inv-1", expiry(days=7), NOW)
    assert level_changes(pool) == [("ok", "full")]
    pool.release_reservation("inv-1", NOW)
    assert level_changes(pool) == [("full", "ok")]


def test_raising_the_limit_of_a_full_pool_records_the_new_level() -> None:
    pool = SeatPool.open(uuid4(), "seats", 0)
    pool.collect_events()

    pool.set_limit(10, None, NOW)

    assert event_names(pool) == ["SeatLimitSet", "UsageLevelChanged"]
    assert pool.level == "ok"


def test_custom_warning_threshold_sets_the_warning_level() -> None:
    pool = open_pool(limit=10, warning_threshold=0.5)
    fill(pool, 4)

    pool.assign("fifth", NOW)

    assert level_changes(pool) == [("ok", "warning")]


def test_changing_only_the_threshold_can_change_the_level() -> None:
    pool = open_pool(limit=10)
    fill(pool, 6)

    pool.set_limit(10, 0.5, NOW)

    assert event_names(pool) == ["SeatLimitSet", "UsageLevelChanged"]
    assert (pool.warning_threshold, pool.level) == (0.5, "warning")


def test_a_level_that_time_changed_is_recorded_with_the_next_command() -> None:
    pool = open_pool(limit=2)
    pool.assign("alice", NOW)
    pool.reserve("inv-1", expiry(hours=1), NOW)
    pool.collect_events()
    assert pool.level == "full"

    # The domain has no clock: the lapse is seen when the next command runs.
    assert pool.usage(later(hours=2)).level == "ok"
    assert pool.level == "full"
    pool.release_reservation("inv-1", later(hours=2))

    assert event_names(pool) == ["ReservationReleased", "UsageLevelChanged"]
    assert pool.level == "ok"
