"""UsageLevelChanged: recorded exactly when the level crosses ok/warning/full."""

from __future__ import annotations

from uuid import uuid4

from domain.common import UsageLevel
from domain.seat_pool import SeatPool
from tests.unit.builders import event_names, fill, level_changes, open_pool


def test_level_changes_are_recorded_exactly_at_the_crossings() -> None:
    pool = open_pool(limit=10)
    fill(pool, 7)

    pool.assign("eighth")  # 0.8: the default threshold itself is warning
    assert level_changes(pool) == [("ok", "warning")]
    pool.assign("ninth")
    assert level_changes(pool) == []
    pool.assign("tenth")
    assert level_changes(pool) == [("warning", "full")]
    pool.release("tenth")
    assert level_changes(pool) == [("full", "warning")]
    pool.release("ninth")
    pool.release("eighth")
    assert level_changes(pool) == [("warning", "ok")]


def test_level_change_is_pending_with_the_change_that_caused_it() -> None:
    pool = open_pool(limit=1)

    pool.assign("alice")

    assert event_names(pool) == ["SeatAssigned", "UsageLevelChanged"]
    assert pool.level == UsageLevel.FULL


def test_raising_the_limit_of_a_full_pool_records_the_new_level() -> None:
    pool = SeatPool.open(uuid4(), "seats", 0)
    pool.collect_events()

    pool.set_limit(10)

    assert event_names(pool) == ["SeatLimitSet", "UsageLevelChanged"]
    assert pool.level == UsageLevel.OK


def test_custom_warning_threshold_sets_the_warning_level() -> None:
    pool = open_pool(limit=10, warning_threshold=0.5)
    fill(pool, 4)

    pool.assign("fifth")

    assert level_changes(pool) == [("ok", "warning")]


def test_changing_only_the_threshold_can_change_the_level() -> None:
    pool = open_pool(limit=10)
    fill(pool, 6)

    pool.set_limit(10, 0.5)

    assert event_names(pool) == ["SeatLimitSet", "UsageLevelChanged"]
    assert (pool.warning_threshold, pool.level) == (0.5, UsageLevel.WARNING)
