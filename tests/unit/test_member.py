"""Member: who counts as an active user on a day, and how a member changes."""

from __future__ import annotations

from collections.abc import Callable
from uuid import uuid4

import pytest

from domain.errors import InvalidState, ValidationFailed
from domain.member import Member
from domain.person import person_id
from tests.unit.builders import TODAY, TOMORROW, day, event_names, new_member, payloads


def passive() -> Member:
    member = new_member(end_date=day(30))
    member.deactivate()
    member.collect_events()
    return member


def removed() -> Member:
    member = new_member()
    member.remove()
    member.collect_events()
    return member


# (build, counts today, reason today)
CASES: dict[str, tuple[Callable[[], Member], bool, str]] = {
    "no dates": (new_member, True, "active"),
    "started": (lambda: new_member(start_date=day(-10)), True, "active"),
    "ends today": (lambda: new_member(end_date=day(0)), True, "active"),
    "ends later": (lambda: new_member(end_date=day(5)), True, "active"),
    "future starter": (lambda: new_member(start_date=day(1)), True, "future_starter"),
    "ended yesterday": (lambda: new_member(end_date=day(-1)), False, "ended"),
    "passive": (passive, False, "passive"),
}


@pytest.mark.parametrize(("build", "counts", "reason"), CASES.values(), ids=CASES)
def test_who_counts_as_an_active_user_today(
    build: Callable[[], Member], counts: bool, reason: str
) -> None:
    member = build()

    assert member.counts_on(TODAY) is counts
    assert member.reason_on(TODAY) == reason


def test_a_member_counts_through_its_end_day_and_not_after() -> None:
    member = new_member(start_date=day(-30), end_date=day(0))

    assert member.counts_on(TODAY)
    assert not member.counts_on(TOMORROW)
    assert member.reason_on(TOMORROW) == "ended"


def test_a_removed_member_does_not_count() -> None:
    assert not removed().counts_on(TODAY)


def test_a_new_member_is_active_with_its_dates() -> None:
    member = Member(
        tenant_id=uuid4(),
        person_id=person_id("alice@example.com"),
        email="alice@example.com",
        display_name=None,
        role="admin",
        start_date=day(0),
        end_date=day(90),
    )

    assert (member.status, member.role, member.is_admin) == ("active", "admin", True)
    assert (member.start_date, member.end_date) == (day(0), day(90))
    assert event_names(member) == ["MemberAdded"]


def test_changing_the_role_records_only_a_real_change() -> None:
    member = new_member(role="user")

    member.change_role("user")
    member.change_role("admin")

    assert (member.role, member.is_admin) == ("admin", True)
    assert payloads(member) == [("MemberRoleChanged", {"role": "admin"})]


def test_a_passive_admin_is_not_an_admin() -> None:
    member = new_member(role="admin")

    member.deactivate()

    assert (member.role, member.is_admin) == ("admin", False)


def test_deactivating_and_reactivating_record_only_real_changes() -> None:
    member = new_member()

    member.reactivate()  # already active
    member.deactivate()
    member.deactivate()
    assert member.status == "passive"
    member.reactivate()

    assert member.status == "active"
    assert event_names(member) == ["MemberDeactivated", "MemberReactivated"]


def test_changing_dates_records_both_and_only_a_real_change() -> None:
    member = new_member(start_date=day(0))

    member.change_dates(day(0), None)
    member.change_dates(day(1), day(1))  # one day is enough

    assert (member.start_date, member.end_date) == (day(1), day(1))
    changed = {"start_date": day(1), "end_date": day(1)}
    assert payloads(member) == [("MemberDatesChanged", changed)]


def test_an_end_date_before_the_start_date_is_refused() -> None:
    member = new_member(start_date=day(0))

    with pytest.raises(ValidationFailed) as caught:
        member.change_dates(day(5), day(4))

    assert caught.value.code == "validation_error"
    assert caught.value.extra == {"field": "end_date"}
    assert (member.start_date, member.end_date) == (day(0), None)
    assert event_names(member) == []


def test_removing_a_member_records_it() -> None:
    member = new_member(role="admin")

    member.remove()

    assert (member.status, member.is_admin) == ("removed", False)
    assert event_names(member) == ["MemberRemoved"]


CHANGES: dict[str, Callable[[Member], object]] = {
    "check_present": lambda m: m.check_present(),
    "role": lambda m: m.change_role("admin"),
    "deactivate": lambda m: m.deactivate(),
    "reactivate": lambda m: m.reactivate(),
    "dates": lambda m: m.change_dates(day(0), day(1)),
    "remove": lambda m: m.remove(),
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES)
def test_a_removed_member_refuses_changes(change: Callable[[Member], object]) -> None:
    member = removed()

    with pytest.raises(InvalidState) as caught:
        change(member)

    assert caught.value.extra == {"status": "removed"}
    assert (member.status, member.role) == ("removed", "user")
    assert event_names(member) == []
