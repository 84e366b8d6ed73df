"""SeatPool over time: holders' end dates and reservations' expiries."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.errors import QuotaExhausted
from tests.unit.builders import (
    NOW,
    day,
    event_names,
    expiry,
    fill,
    later,
    open_pool,
    payloads,
    tally,
)

END_OF_TODAY = datetime(2025, 3, 1, 23, 59, 59, tzinfo=UTC)
START_OF_TOMORROW = datetime(2025, 3, 2, tzinfo=UTC)


def test_a_holder_counts_through_its_end_date_and_not_after() -> None:
    pool = open_pool(limit=5)

    pool.assign("leaver", NOW, day(0))

    assert payloads(pool) == [
        ("SeatAssigned", {"holder_id": "leaver", "end_date": day(0)})
    ]
    assert pool.usage(NOW).used == 1
    assert pool.usage(END_OF_TODAY).used == 1
    assert pool.usage(START_OF_TOMORROW).used == 0
    assert pool.holds("leaver")  # held until released, though not counted


def test_a_holder_with_a_past_end_date_does_not_count_and_needs_no_seat() -> None:
    pool = open_pool(limit=2)
    fill(pool, 2)

    pool.assign("ended", NOW, day(-1))

    assert pool.holders["ended"] == day(-1)
    assert tally(pool) == (2, 0, 0, 0)
    assert event_names(pool) == ["SeatAssigned"]


def test_a_holder_ending_today_still_needs_a_seat() -> None:
    pool = open_pool(limit=1)
    fill(pool, 1)

    with pytest.raises(QuotaExhausted):
        pool.assign("leaver", NOW, day(0))

    assert event_names(pool) == []


@pytest.mark.parametrize(
    "new_end", [None, day(0), day(30)], ids=["clear", "today", "later"]
)
def test_reviving_an_ended_holder_needs_a_free_seat(new_end: str | None) -> None:
    pool = open_pool(limit=1)
    pool.assign("ended", NOW, day(-1))
    pool.assign("alice", NOW)
    pool.collect_events()

    with pytest.raises(QuotaExhausted):
        pool.change_end_date("ended", new_end, NOW)

    assert pool.holders["ended"] == day(-1)
    assert event_names(pool) == []

    pool.release("alice", NOW)
    pool.collect_events()
    pool.change_end_date("ended", new_end, NOW)

    assert pool.holders["ended"] == new_end
    assert tally(pool) == (1, 0, 0, 0)
    assert event_names(pool) == ["SeatEndDateChanged", "UsageLevelChanged"]


def test_changing_the_end_date_of_a_counting_holder_needs_no_seat() -> None:
    pool = open_pool(limit=1)
    pool.assign("alice", NOW, day(0))
    pool.collect_events()

    pool.change_end_date("alice", None, NOW)
    pool.change_end_date("alice", day(10), NOW)

    assert pool.holders["alice"] == day(10)
    assert payloads(pool) == [
        ("SeatEndDateChanged", {"holder_id": "alice", "end_date": None}),
        ("SeatEndDateChanged", {"holder_id": "alice", "end_date": day(10)}),
    ]


def test_ending_a_holder_in_the_past_frees_its_seat_at_once() -> None:
    pool = open_pool(limit=1)
    pool.assign("alice", NOW)
    pool.collect_events()

    pool.change_end_date("alice", day(-1), NOW)

    assert tally(pool) == (0, 0, 0, 1)
    assert event_names(pool) == ["SeatEndDateChanged", "UsageLevelChanged"]
    assert pool.level == "ok"


def test_setting_the_same_end_date_records_nothing() -> None:
    pool = open_pool(limit=1)
    pool.assign("ended", NOW, day(-1))
    pool.assign("alice", NOW)
    pool.collect_events()

    pool.change_end_date("ended", day(-1), NOW)  # a full pool: still no error

    assert event_names(pool) == []


def test_changing_the_end_date_of_a_non_holder_is_not_found() -> None:
    from domain.errors import NotFound

    pool = open_pool()

    with pytest.raises(NotFound):
        pool.change_end_date("nobody", None, NOW)


def test_a_reservation_counts_until_its_expiry_and_not_after() -> None:
    pool = open_pool(limit=5)

    pool.reserve("inv-1", expiry(days=1), NOW)

    payload = {"invitation_id": "inv-1", "expires_at": "2025-03-02T12:00:00+00:00"}
    assert payloads(pool) == [("SeatReserved", payload)]
    assert pool.usage(NOW).reserved == 1
    assert pool.usage(later(days=1, seconds=-1)).reserved == 1
    assert pool.usage(later(days=1)).reserved == 0
    assert pool.usage(later(days=1, microseconds=999_999)).reserved == 0


def test_a_lapsed_reservation_frees_its_seat_for_others() -> None:
    pool = open_pool(limit=1)
    pool.reserve("inv-1", expiry(hours=1), NOW)
    pool.collect_events()

    with pytest.raises(QuotaExhausted):
        pool.assign("alice", NOW)
    pool.assign("alice", later(hours=1))

    assert tally(pool, later(hours=1)) == (1, 0, 0, 0)
    assert event_names(pool) == ["SeatAssigned"]  # full before and after


def test_reserving_in_a_full_pool_is_refused() -> None:
    pool = open_pool(limit=1)
    fill(pool, 1)

    with pytest.raises(QuotaExhausted):
        pool.reserve("inv-1", expiry(days=7), NOW)

    assert (pool.reservations, event_names(pool)) == ({}, [])


def test_releasing_a_reservation_frees_it_and_an_unknown_one_is_a_no_op() -> None:
    pool = open_pool(limit=5)
    pool.reserve("inv-1", expiry(days=7), NOW)
    pool.collect_events()

    pool.release_reservation("inv-1", NOW)
    pool.release_reservation("inv-1", NOW)
    pool.release_reservation("inv-2", NOW)

    assert (pool.reservations, pool.usage(NOW).reserved) == ({}, 0)
    assert payloads(pool) == [("ReservationReleased", {"invitation_id": "inv-1"})]
