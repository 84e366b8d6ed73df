"""SeatPool under random sequences of commands: its invariants always hold."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.common import UsageLevel
from domain.errors import DomainError
from domain.seat_pool import SeatPool

CHILDREN = [UUID(int=i) for i in range(1, 4)]
HOLDERS = st.sampled_from(["a", "b", "c", "d", "e", "f"])
COUNTS = st.integers(min_value=0, max_value=12)
THRESHOLDS = st.none() | st.sampled_from([0.25, 0.5, 0.8, 0.95])

COMMANDS = st.one_of(
    st.tuples(st.just("assign"), HOLDERS),
    st.tuples(st.just("release"), HOLDERS),
    st.tuples(st.just("set_limit"), COUNTS, THRESHOLDS),
    st.tuples(st.just("allocate_to_child"), st.sampled_from(CHILDREN), COUNTS),
)


def expected_level(pool: SeatPool) -> UsageLevel:
    """The level as API.md defines it, computed from the counts alone."""
    in_use = pool.used + pool.reserved + pool.allocated
    utilization = 1.0 if pool.limit == 0 else in_use / pool.limit
    if utilization >= 1.0:
        return UsageLevel.FULL
    if utilization >= pool.warning_threshold:
        return UsageLevel.WARNING
    return UsageLevel.OK


def replay(events: list[Any]) -> SeatPool:
    pool = None
    for event in events:
        pool = event.mutate(pool)
    assert isinstance(pool, SeatPool)
    return pool


@settings(max_examples=300, deadline=None)
@given(
    limit=COUNTS,
    threshold=THRESHOLDS,
    commands=st.lists(COMMANDS, max_size=40),
)
def test_pool_never_overbooks_and_its_level_matches_its_counts(
    limit: int, threshold: float | None, commands: list[tuple[Any, ...]]
) -> None:
    pool = SeatPool.open(uuid4(), "seats", limit, threshold)
    recorded = list(pool.collect_events())
    assert expected_level(pool) == pool.level

    for name, *args in commands:
        before = pool.level
        try:
            getattr(pool, name)(*args)
        except DomainError:
            # Invariants are checked before any event is triggered.
            assert pool.collect_events() == []
            continue
        pending = pool.collect_events()
        recorded += pending

        assert pool.used + pool.reserved + pool.allocated <= pool.limit
        assert pool.available >= 0
        assert pool.level == expected_level(pool)
        changes = [vars(e) for e in pending if "previous" in vars(e)]
        if pool.level == before:
            assert changes == []
        else:
            assert changes == [{**changes[0], "previous": before, "level": pool.level}]

    rebuilt = replay(recorded)
    assert vars(rebuilt) == vars(pool)
