"""The daily-usage projection answers exactly what replaying the pool's
events answers (projections/usage_history.py, the definition): scripted
histories and random ones, read on any range at any moment."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import pytest

from projections.daily_read import days_of
from tests.unit.daily_support import D1, Scripted, as_reference, at, random_history
from tests.unit.sqlite_projections import SqliteTx, feed

D = [D1 + timedelta(days=i) for i in range(12)]
LATER = at(D1 + timedelta(days=60), 12)


def same(
    tx: SqliteTx,
    pool: Scripted,
    first: date,
    last: date,
    now: datetime,
    through: datetime | None = None,
) -> None:
    """The projection (fed the events up to `through`) reads as the replay."""
    last = min(last, now.date())  # reports end today at the latest
    projected = [as_reference(d) for d in pool.projected(tx, first, last, now)]
    assert projected == pool.reference(first, last, now, through)


def test_an_ended_members_seat_stops_counting_at_midnight_without_an_event(
    tx: SqliteTx,
) -> None:
    pool = Scripted(at(D[0], 8))
    pool.assign(at(D[0], 9), "leaver", end=D[2])
    pool.assign(at(D[0], 9), "stayer")
    pool.release(at(D[6], 9), "stayer")  # a later event closes the gap
    pool.feed(tx)
    days = pool.projected(tx, D[0], D[6], LATER)
    assert [(d.peak_used, d.end_used) for d in days] == [
        (2, 2),
        (2, 2),
        (2, 2),
        (1, 1),
        (1, 1),
        (1, 1),
        (1, 0),
    ]
    same(tx, pool, D[0], D[8], LATER)


def test_days_after_the_latest_event_are_judged_from_the_state_it_left(
    tx: SqliteTx,
) -> None:
    pool = Scripted(at(D[0], 8))
    pool.assign(at(D[0], 9), "a", end=D[3])
    pool.reserve(at(D[1], 9), "inv", expires=at(D[4], 12))
    pool.feed(tx)
    for now in (at(D[1], 10), at(D[4], 11), at(D[4], 13), LATER):
        same(tx, pool, D[0], D[9], now)


def test_a_pool_opened_without_a_contract_shows_from_the_day_it_is_contracted(
    tx: SqliteTx,
) -> None:
    pool = Scripted(at(D[0], 8), limit=None)
    pool.assign(at(D[1], 9), "m1")
    pool.set_limit(at(D[3], 9), 5)
    pool.feed(tx)
    assert [d.day for d in pool.projected(tx, D[0], D[4], LATER)] == [D[3], D[4]]
    same(tx, pool, D[0], D[5], LATER)


def test_a_replayed_envelope_changes_nothing(tx: SqliteTx) -> None:
    pool = Scripted(at(D[0], 8))
    pool.assign(at(D[0], 9), "a", "b")
    pool.release(at(D[2], 9), "a")
    envelopes = pool.envelopes()
    feed(tx, *envelopes)
    before = tx.dump()
    feed(tx, *envelopes)
    assert tx.dump() == before


def test_many_pools_are_read_at_once(tx: SqliteTx) -> None:
    pools = [Scripted(at(D[0], 8), limit=3 + i) for i in range(3)]
    for i, pool in enumerate(pools):
        pool.assign(at(D[i], 9), *(f"h{j}" for j in range(i + 1)))
        pool.feed(tx)
    found = days_of(tx, [p.id for p in pools], D[0], D[4], LATER)
    for pool in pools:
        got = [as_reference(d) for d in found[pool.id]]
        assert got == pool.reference(D[0], D[4], LATER)


@pytest.mark.parametrize("seed", range(40))
def test_random_histories_read_alike_on_any_range_at_any_moment(
    tx: SqliteTx, seed: int
) -> None:
    rng = random.Random(seed)
    pool = random_history(rng)
    for share in (3, 2, 1):  # the projection as it stood then, fed as it grew
        cut = pool.events[len(pool.events) // share - 1].timestamp
        pool.feed(tx, through=cut)
        for now in (cut, cut + timedelta(hours=rng.randrange(1, 90))):
            first = D1 + timedelta(days=rng.randrange(20))
            last = first + timedelta(days=rng.randrange(25))
            same(tx, pool, first, last, now, through=cut)
