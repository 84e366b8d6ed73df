"""Daily peak and end-of-day usage of a pool, derived from its events."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

from domain.common import instant
from domain.seat_pool import SeatPool
from projections.usage_history import DayUsage, usage_by_day

D1, D2, D3 = date(2025, 3, 1), date(2025, 3, 2), date(2025, 3, 3)
LATER = datetime(2025, 6, 1, tzinfo=UTC)  # the report is cut long after D3
CHILD = uuid4()


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


class Timeline:
    """A pool whose events carry the moments the test says they happened at
    (the store stamps them when they happen; here we choose)."""

    def __init__(self, moment: datetime, limit: int | None = 10) -> None:
        self.events: list[Any] = []
        self.pool = SeatPool.open(uuid4(), "seats", limit)
        self._stamp(moment)

    def assign(self, moment: datetime, *holders: str, end: date | None = None) -> None:
        for holder in holders:
            self.pool.assign(holder, moment, end.isoformat() if end else None)
        self._stamp(moment)

    def release(self, moment: datetime, *holders: str) -> None:
        for holder in holders:
            self.pool.release(holder, moment)
        self._stamp(moment)

    def reserve(self, moment: datetime, invitation: str, expires: datetime) -> None:
        self.pool.reserve(invitation, instant(expires), moment)
        self._stamp(moment)

    def set_limit(self, moment: datetime, limit: int) -> None:
        self.pool.set_limit(limit, None, moment)
        self._stamp(moment)

    def allocate(self, moment: datetime, limit: int) -> None:
        self.pool.allocate_to_child(CHILD, limit, moment)
        self._stamp(moment)

    def days(self, first: date, last: date, now: datetime = LATER) -> list[DayUsage]:
        return usage_by_day(self.events, first, last, now)

    def _stamp(self, moment: datetime) -> None:
        pending = self.pool.collect_events()
        self.events += [
            replace(e, timestamp=moment + timedelta(microseconds=i))
            for i, e in enumerate(pending)
        ]


def used(rows: list[DayUsage]) -> list[tuple[date, int, int]]:
    """(day, peak_used, end_used) per row."""
    return [(r.day, r.peak_used, r.end_used) for r in rows]


def test_seats_taken_and_freed_within_a_day_peak_above_the_end_of_day() -> None:
    t = Timeline(at(D1, 8))
    t.assign(at(D1, 9), "a", "b", "c")
    t.release(at(D1, 10), "a", "b")

    [row] = t.days(D1, D1)

    assert (row.peak_used, row.peak_in_use) == (3, 3)
    assert (row.end_used, row.end_in_use, row.limit, row.level) == (1, 1, 10, "ok")


def test_the_peak_includes_the_state_the_day_started_with() -> None:
    t = Timeline(at(D1, 8))
    t.assign(at(D1, 9), "a", "b")
    t.release(at(D2, 10), "a", "b")

    assert used(t.days(D1, D2)) == [(D1, 2, 2), (D2, 2, 0)]


def test_days_without_events_carry_the_state_on() -> None:
    t = Timeline(at(D1, 8), limit=2)
    t.assign(at(D1, 9), "a", "b")

    rows = t.days(D1, D3)

    assert used(rows) == [(D1, 2, 2), (D2, 2, 2), (D3, 2, 2)]
    assert {r.level for r in rows} == {"full"}


def test_a_holder_counts_through_its_end_date_and_not_the_day_after() -> None:
    t = Timeline(at(D1, 8))
    t.assign(at(D1, 9), "leaver", end=D2)
    t.assign(at(D1, 9), "stayer")

    assert used(t.days(D1, D3)) == [(D1, 2, 2), (D2, 2, 2), (D3, 1, 1)]


def test_a_reservation_counts_until_it_expires() -> None:
    t = Timeline(at(D1, 8))
    t.reserve(at(D1, 9), "invitation-1", expires=at(D2, 12))

    rows = t.days(D1, D3)

    reserved = [(r.day, r.peak_in_use, r.end_reserved, r.end_in_use) for r in rows]
    assert reserved == [(D1, 1, 1, 1), (D2, 1, 0, 0), (D3, 0, 0, 0)]
    assert {r.end_used for r in rows} == {0}


def test_a_limit_change_shows_from_the_day_it_happens() -> None:
    t = Timeline(at(D1, 8), limit=2)
    t.assign(at(D1, 9), "a", "b")
    t.set_limit(at(D2, 9), 5)
    t.set_limit(at(D3, 9), 10)

    rows = t.days(D1, D3)

    assert [(r.day, r.limit, r.level) for r in rows] == [
        (D1, 2, "full"),
        (D2, 5, "ok"),
        (D3, 10, "ok"),
    ]


def test_seats_given_to_sub_tenants_count_as_in_use() -> None:
    t = Timeline(at(D1, 8))
    t.assign(at(D1, 9), "a")
    t.allocate(at(D1, 10), 6)
    t.allocate(at(D1, 11), 2)

    [row] = t.days(D1, D1)

    assert (row.peak_in_use, row.end_allocated, row.end_in_use) == (7, 2, 3)
    assert (row.peak_used, row.end_used) == (1, 1)


def test_days_before_the_contract_are_left_out_and_do_not_count_in_a_peak() -> None:
    t = Timeline(at(D1, 8), limit=None)  # the members pool, tracked only
    t.assign(at(D1, 9), "m1", "m2", "m3")
    t.release(at(D2, 8), "m1", "m2")
    t.set_limit(at(D2, 9), 5)

    rows = t.days(D1, D3)

    assert used(rows) == [(D2, 1, 1), (D3, 1, 1)]
    assert rows[0].limit == 5


def test_events_before_the_first_day_are_replayed_not_reported() -> None:
    t = Timeline(at(D1, 8))
    t.assign(at(D1, 9), "a", "b")
    t.release(at(D2, 9), "a")

    assert used(t.days(D3, D3)) == [(D3, 1, 1)]


def test_the_day_that_is_not_over_ends_now_and_later_events_are_ignored() -> None:
    t = Timeline(at(D1, 8))
    t.reserve(at(D1, 9), "invitation-1", expires=at(D1, 18))
    t.assign(at(D1, 13), "after-now")

    [row] = t.days(D1, D1, now=at(D1, 12))

    assert (row.end_reserved, row.end_used, row.peak_used) == (1, 0, 0)


def test_an_event_at_midnight_belongs_to_the_day_it_starts() -> None:
    t = Timeline(at(D1, 8))
    t.assign(at(D1, 9), "a")
    t.assign(at(D2, 0), "b")

    assert used(t.days(D1, D2)) == [(D1, 1, 1), (D2, 2, 2)]


def test_a_pool_without_events_in_range_has_no_rows() -> None:
    assert usage_by_day([], D1, D3, LATER) == []
    t = Timeline(at(D3, 8))
    assert t.days(D1, D2) == []
