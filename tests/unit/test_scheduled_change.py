"""A scheduled contract change, and the pool's list of those still to come."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from domain.common import instant
from domain.errors import InvalidState
from domain.scheduled_change import (
    APPLIED,
    CANCELLED,
    FAILED,
    SCHEDULED,
    ScheduledChange,
)
from domain.seat_pool import MAX_PENDING_CHANGES, SeatPool
from tests.unit.builders import NOW, event_names, later, open_pool, payloads


def new_change(days: float = 1) -> ScheduledChange:
    change = ScheduledChange(
        tenant_id=uuid4(),
        pool="seats",
        limit=12,
        warning_threshold=None,
        effective_at=instant(later(days=days)),
        scheduled_at=instant(NOW),
    )
    change.collect_events()
    return change


def note(pool: SeatPool, days: float) -> UUID:
    change_id = uuid4()
    pool.note_change(change_id, 12, None, instant(later(days=days)), instant(NOW))
    return change_id


def test_an_applied_change_records_when_it_was_due_and_when_it_took_effect() -> None:
    change = new_change(days=1)
    change.apply(later(days=3))  # the service was down in between
    assert change.status == APPLIED
    [(name, payload)] = payloads(change)
    assert name == "ContractChangeApplied"
    assert payload == {
        "effective_at": instant(later(days=1)),
        "applied_at": instant(later(days=3)),
    }


def test_a_failed_change_keeps_the_reason_and_the_sentence() -> None:
    change = new_change()
    change.fail("limit_below_usage", "3 seats are in use", later(days=1))
    assert (change.status, change.reason, change.detail) == (
        FAILED,
        "limit_below_usage",
        "3 seats are in use",
    )
    assert event_names(change) == ["ContractChangeFailed"]


@pytest.mark.parametrize("settle", ["apply", "fail", "cancel"])
def test_only_a_scheduled_change_can_be_applied_failed_or_cancelled(
    settle: str,
) -> None:
    change = new_change()
    change.cancel(NOW)
    assert change.status == CANCELLED
    change.collect_events()
    with pytest.raises(InvalidState):
        if settle == "apply":
            change.apply(later(days=2))
        elif settle == "fail":
            change.fail("x", "y", later(days=2))
        else:
            change.cancel(later(days=2))
    assert event_names(change) == []


def test_a_new_change_is_scheduled() -> None:
    assert new_change().status == SCHEDULED


def test_the_pool_finds_its_due_changes_earliest_first() -> None:
    pool = open_pool(10)
    late, early, future = note(pool, 2), note(pool, 1), note(pool, 5)
    assert pool.due_changes(later(hours=1)) == []
    assert pool.due_changes(later(days=3)) == [str(early), str(late)]
    pool.settle_change(early)
    assert pool.due_changes(later(days=6)) == [str(late), str(future)]
    assert event_names(pool) == [
        "ContractChangePending",
        "ContractChangePending",
        "ContractChangePending",
        "ContractChangeSettled",
    ]


def test_a_change_is_due_at_its_own_instant() -> None:
    pool = open_pool(10)
    change_id = note(pool, 1)
    assert pool.due_changes(later(days=1)) == [str(change_id)]


def test_a_pool_waits_for_a_bounded_number_of_changes() -> None:
    pool = open_pool(10)
    for i in range(MAX_PENDING_CHANGES):
        note(pool, 1 + i)
    with pytest.raises(InvalidState):
        note(pool, 1)
    assert len(pool.pending_changes()) == MAX_PENDING_CHANGES


def test_a_pool_restored_without_the_list_has_no_pending_changes() -> None:
    """A snapshot taken before scheduling existed has no `scheduled`."""
    pool = open_pool(10)
    del pool.__dict__["scheduled"]
    assert pool.due_changes(later(days=9)) == []
    note(pool, 1)
    assert len(pool.pending_changes()) == 1
