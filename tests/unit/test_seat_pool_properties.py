"""SeatPool under random commands and a moving clock: its invariants hold.

A model kept apart from the aggregate (pool_model.py) says what counts at a
moment and which command must be refused. After every step the pool agrees
with it, never holds more than its limit at that moment, and (time only frees
seats: end dates pass, reservations lapse) at no later moment either.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from domain.common import instant
from domain.errors import QuotaExhausted
from domain.seat_pool import SeatPool
from tests.unit.pool_model import Model

START = datetime(2025, 3, 1, 12, tzinfo=UTC)
CHILDREN = [UUID(int=i) for i in range(1, 4)]
HOLDERS = st.sampled_from(["a", "b", "c", "d"])
INVITATIONS = st.sampled_from(["i1", "i2", "i3"])
COUNTS = st.integers(min_value=0, max_value=6)
THRESHOLDS = st.none() | st.sampled_from([0.25, 0.5, 0.8, 0.95])
END_DAYS = st.sampled_from([None, -2, -1, 0, 1, 3])  # days from now's day
LATER = [timedelta(seconds=s) for s in (0, 1, 3600, 86_400, 7 * 86_400)]

COMMANDS = st.one_of(
    st.tuples(st.just("assign"), HOLDERS, END_DAYS),
    st.tuples(st.just("release"), HOLDERS),
    st.tuples(st.just("change_end_date"), HOLDERS, END_DAYS),
    st.tuples(st.just("reserve"), INVITATIONS, st.integers(1, 72)),  # hours
    st.tuples(st.just("release_reservation"), INVITATIONS),
    st.tuples(st.just("set_limit"), COUNTS, THRESHOLDS),
    st.tuples(st.just("allocate_to_child"), st.sampled_from(CHILDREN), COUNTS),
    st.tuples(st.just("wait"), st.integers(0, 60)),  # hours
)

# Reviving an ended holder in a full pool; a reservation lapsing to the second;
# a tracked pool takes anything, contracting counts it, and time frees it.
REVIVAL = [("assign", "a", -1), ("assign", "b", None), ("change_end_date", "a", 0)]
LAPSE = [("reserve", "i1", 2), ("wait", 2), ("assign", "a", None)]
TRACKED_THEN_CONTRACTED = [
    ("assign", "a", 0),
    ("reserve", "i1", 30),
    ("set_limit", 2, None),
    ("wait", 12),
    ("assign", "b", None),
]


def resolve(name: str, raw: list[Any], model: Model, now: datetime) -> Any:
    """Concrete arguments at `now`, or None to skip a command that does not
    apply: the end date of a non-holder (see test_seat_pool_time), an
    allocation from a tracked pool (the use cases never make one)."""
    if name in ("assign", "change_end_date"):
        holder, days = raw
        if name == "change_end_date" and holder not in model.holders:
            return None
        return holder, None if days is None else now.date() + timedelta(days=days)
    if name == "reserve":
        return raw[0], now + timedelta(hours=raw[1])
    if name == "allocate_to_child" and model.limit is None:
        return None
    return raw


def call(pool: SeatPool, name: str, args: Any, now: datetime) -> None:
    if name in ("assign", "change_end_date"):
        holder, end = args
        end_date = None if end is None else end.isoformat()
        if name == "assign":
            pool.assign(holder, now, end_date)
        else:
            pool.change_end_date(holder, end_date, now)
    elif name == "reserve":
        pool.reserve(args[0], instant(args[1]), now)
    elif name == "set_limit":
        pool.set_limit(args[0], args[1], now)
    else:
        getattr(pool, name)(*args, now)


def moments(model: Model, now: datetime) -> list[datetime]:
    """`now` and later moments, the edges where something stops counting
    among them: each expiry (and a second before), each end date's last
    second and the midnight after it."""
    edges = [now + delta for delta in LATER]
    for expires in model.reservations.values():
        edges += [expires - timedelta(seconds=1), expires]
    for end in filter(None, model.holders.values()):
        midnight = datetime.combine(end + timedelta(days=1), time(), UTC)
        edges += [midnight - timedelta(seconds=1), midnight]
    return sorted(m for m in set(edges) if m >= now)


def check(pool: SeatPool, model: Model, now: datetime) -> None:
    assert pool.limit == model.limit
    in_use = pool.usage(now).in_use
    for moment in moments(model, now):
        usage = pool.usage(moment)
        assert (usage.used, usage.reserved, usage.allocated) == model.counts(moment)
        assert usage.in_use <= in_use  # time passing only frees seats
        in_use = usage.in_use
        if pool.contracted:
            assert usage.used + usage.reserved + usage.allocated <= pool.limit
            assert usage.available >= 0
    if pool.contracted:
        assert pool.usage(now).level == model.level(now)


def state(pool: SeatPool) -> tuple[Any, ...]:
    return (
        pool.limit,
        pool.warning_threshold,
        pool.level,
        dict(pool.holders),
        dict(pool.reservations),
        dict(pool.allocations),
    )


def replay(events: list[Any]) -> SeatPool:
    pool = None
    for event in events:
        pool = event.mutate(pool)
    assert isinstance(pool, SeatPool)
    return pool


@settings(max_examples=300, deadline=None)
@given(
    limit=st.none() | COUNTS,
    threshold=THRESHOLDS,
    commands=st.lists(COMMANDS, max_size=40),
)
@example(limit=1, threshold=None, commands=REVIVAL)
@example(limit=1, threshold=None, commands=LAPSE)
@example(limit=None, threshold=0.5, commands=TRACKED_THEN_CONTRACTED)
def test_pool_never_overbooks_at_any_moment_and_its_level_matches_its_counts(
    limit: int | None, threshold: float | None, commands: list[tuple[Any, ...]]
) -> None:
    now = START
    pool = SeatPool.open(uuid4(), "members", limit, threshold)
    model = Model(limit, threshold or 0.8)
    recorded = list(pool.collect_events())
    check(pool, model, now)

    for name, *raw in commands:
        if name == "wait":
            now += timedelta(hours=raw[0])
            check(pool, model, now)
            continue
        args = resolve(name, raw, model, now)
        if args is None:
            continue
        tracked, before = not pool.contracted, state(pool)
        refusal = model.refusal(name, args, now)
        if refusal is not None:
            # A tracked pool refuses nothing for lack of seats.
            assert not (tracked and refusal is QuotaExhausted)
            with pytest.raises(refusal):
                call(pool, name, args, now)
            # Invariants are checked before any event is triggered.
            assert pool.collect_events() == []
            assert state(pool) == before
            continue
        call(pool, name, args, now)
        pending = pool.collect_events()
        recorded += pending
        check(pool, model, now)

        names = [type(e).__name__ for e in pending]
        events = [vars(e) for e in pending]
        changes = [(e["previous"], e["level"]) for e in events if "previous" in e]
        if not pool.contracted:
            assert (pool.level, changes) == ("ok", [])  # no level to cross
        elif not pending:
            assert pool.level == before[2]
        elif "SeatPoolContracted" in names:
            # Contracting records the level it starts at: not a crossing.
            assert (pool.level, changes) == (model.level(now), [])
        else:
            assert pool.level == model.level(now)
            crossed = [(before[2], pool.level)] if pool.level != before[2] else []
            assert changes == crossed

    assert vars(replay(recorded)) == vars(pool)
