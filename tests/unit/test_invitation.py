"""Invitation: pending until accepted, revoked or expired; expiry is judged by
the moment passed in, whether or not an expiry was recorded."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from uuid import uuid4

import pytest

from domain.errors import InvalidState, InvitationExpired
from domain.invitation import Invitation
from tests.unit.builders import (
    NOW,
    event_names,
    expiry,
    later,
    new_invitation,
    payloads,
)

EXPIRES = expiry(days=7)
AT_EXPIRY = later(days=7)
JUST_BEFORE = later(days=7, seconds=-1)


def test_a_new_invitation_is_pending_until_its_expiry() -> None:
    invitation = Invitation(
        tenant_id=uuid4(), email="bob@example.com", role="user", expires_at=EXPIRES
    )

    assert (invitation.status, invitation.member_id) == ("pending", None)
    assert invitation.expires_at == "2025-03-08T12:00:00+00:00"
    assert event_names(invitation) == ["InvitationSent"]


def test_an_invitation_lapses_at_its_expiry_instant() -> None:
    invitation = new_invitation(EXPIRES)

    assert not invitation.is_lapsed(JUST_BEFORE)
    assert invitation.is_open(JUST_BEFORE)
    assert invitation.is_lapsed(AT_EXPIRY)
    assert not invitation.is_open(AT_EXPIRY)


def test_accepting_before_the_expiry_makes_a_member() -> None:
    invitation = new_invitation(EXPIRES)
    member_id = uuid4()

    invitation.accept(member_id, JUST_BEFORE)

    assert (invitation.status, invitation.member_id) == ("accepted", member_id)
    assert payloads(invitation) == [("InvitationAccepted", {"member_id": member_id})]
    assert not invitation.is_lapsed(AT_EXPIRY)  # only a pending one lapses


@pytest.mark.parametrize("moment", [AT_EXPIRY, later(days=30)], ids=["at", "after"])
def test_accepting_from_the_expiry_on_is_expired_though_none_was_recorded(
    moment: datetime,
) -> None:
    invitation = new_invitation(EXPIRES)

    with pytest.raises(InvitationExpired) as caught:
        invitation.accept(uuid4(), moment)

    assert caught.value.code == "invitation_expired"
    assert caught.value.extra == {"expires_at": EXPIRES}
    assert (invitation.status, invitation.member_id) == ("pending", None)
    assert event_names(invitation) == []


def test_accepting_after_a_recorded_expiry_is_expired_too() -> None:
    invitation = new_invitation(EXPIRES)
    invitation.expire(AT_EXPIRY)

    with pytest.raises(InvitationExpired):
        invitation.accept(uuid4(), AT_EXPIRY)


def test_resending_sets_a_new_expiry() -> None:
    invitation = new_invitation(EXPIRES)
    renewed = expiry(days=14)

    invitation.resend(renewed, JUST_BEFORE)
    invitation.accept(uuid4(), later(days=10))

    assert invitation.status == "accepted"
    assert payloads(invitation)[0] == ("InvitationResent", {"expires_at": renewed})


def test_revoking_a_pending_invitation_records_it() -> None:
    invitation = new_invitation(EXPIRES)

    invitation.revoke(NOW)

    assert invitation.status == "revoked"
    assert not invitation.is_lapsed(AT_EXPIRY)
    assert event_names(invitation) == ["InvitationRevoked"]


def test_expire_records_nothing_before_the_expiry() -> None:
    invitation = new_invitation(EXPIRES)

    invitation.expire(NOW)
    invitation.expire(JUST_BEFORE)

    assert invitation.status == "pending"
    assert event_names(invitation) == []


def test_expire_records_an_expiry_that_time_brought_about_once() -> None:
    invitation = new_invitation(EXPIRES)

    invitation.expire(AT_EXPIRY)
    invitation.expire(later(days=8))

    assert invitation.status == "expired"
    assert not invitation.is_lapsed(later(days=8))
    assert event_names(invitation) == ["InvitationExpired"]


def accepted() -> Invitation:
    invitation = new_invitation(EXPIRES)
    invitation.accept(uuid4(), NOW)
    return invitation


def revoked() -> Invitation:
    invitation = new_invitation(EXPIRES)
    invitation.revoke(NOW)
    return invitation


def expired() -> Invitation:
    invitation = new_invitation(EXPIRES)
    invitation.expire(AT_EXPIRY)
    return invitation


ENDED = {"accepted": accepted, "revoked": revoked, "expired": expired}
COMMANDS: dict[str, Callable[[Invitation], object]] = {
    "accept": lambda i: i.accept(uuid4(), NOW),
    "resend": lambda i: i.resend(expiry(days=30), NOW),
    "revoke": lambda i: i.revoke(NOW),
}
# Accepting an expired one is invitation_expired (tested above).
REFUSED = [
    pytest.param(status, build, command, id=f"{name}-{status}")
    for status, build in ENDED.items()
    for name, command in COMMANDS.items()
    if (status, name) != ("expired", "accept")
]


@pytest.mark.parametrize(("status", "build", "command"), REFUSED)
def test_an_invitation_no_longer_pending_refuses_commands(
    status: str,
    build: Callable[[], Invitation],
    command: Callable[[Invitation], object],
) -> None:
    invitation = build()
    invitation.collect_events()
    before = vars(invitation).copy()

    with pytest.raises(InvalidState) as caught:
        command(invitation)

    assert caught.value.extra == {"status": status}
    assert vars(invitation) == before
    assert event_names(invitation) == []


@pytest.mark.parametrize(("status", "build"), ENDED.items(), ids=ENDED)
def test_expire_of_an_invitation_no_longer_pending_is_a_no_op(
    status: str, build: Callable[[], Invitation]
) -> None:
    invitation = build()
    invitation.collect_events()

    invitation.expire(later(days=30))

    assert (invitation.status, event_names(invitation)) == (status, [])


def test_a_lapsed_invitation_can_be_neither_resent_nor_revoked() -> None:
    invitation = new_invitation(EXPIRES)

    for command in (
        lambda: invitation.resend(expiry(days=30), AT_EXPIRY),
        lambda: invitation.revoke(AT_EXPIRY),
    ):
        with pytest.raises(InvalidState):
            command()
    assert event_names(invitation) == []
