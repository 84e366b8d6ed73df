"""Tenant admins and pools: the roster that handover and last_admin rely on."""

from __future__ import annotations

import pytest

from domain.errors import AdminRequired, LastAdmin
from tests.unit.builders import event_names, handed_over, new_tenant, payloads


def test_appointing_an_admin_records_it_once() -> None:
    tenant = new_tenant()

    tenant.appoint_admin("member-1")
    tenant.appoint_admin("member-1")

    assert tenant.admin_ids == ["member-1"]
    assert payloads(tenant) == [("TenantAdminAppointed", {"member_id": "member-1"})]


def test_dismissing_an_admin_records_it_and_a_non_admin_is_a_no_op() -> None:
    tenant = new_tenant()
    tenant.appoint_admin("member-1")
    tenant.appoint_admin("member-2")
    tenant.collect_events()

    tenant.dismiss_admin("member-1")
    tenant.dismiss_admin("member-1")
    tenant.dismiss_admin("stranger")

    assert tenant.admin_ids == ["member-2"]
    assert payloads(tenant) == [("TenantAdminDismissed", {"member_id": "member-1"})]


def test_the_last_admin_of_an_active_tenant_cannot_be_dismissed() -> None:
    tenant = handed_over("member-1")

    with pytest.raises(LastAdmin) as caught:
        tenant.dismiss_admin("member-1")

    assert caught.value.code == "last_admin"
    assert caught.value.extra == {"member_id": "member-1"}
    assert tenant.admin_ids == ["member-1"]
    assert event_names(tenant) == []


def test_one_of_two_admins_of_an_active_tenant_can_go_then_the_other_is_last() -> None:
    tenant = handed_over("member-1", "member-2")

    tenant.dismiss_admin("member-2")

    assert event_names(tenant) == ["TenantAdminDismissed"]
    with pytest.raises(LastAdmin):
        tenant.dismiss_admin("member-1")


@pytest.mark.parametrize("status", ["provisioning", "suspended", "closed"])
def test_the_last_admin_of_a_tenant_that_is_not_active_can_be_dismissed(
    status: str,
) -> None:
    tenant = new_tenant() if status == "provisioning" else handed_over("member-1")
    if status == "provisioning":
        tenant.appoint_admin("member-1")
    elif status == "suspended":
        tenant.suspend()
    else:
        tenant.close()
    tenant.collect_events()

    tenant.dismiss_admin("member-1")

    assert tenant.status == status
    assert (tenant.admin_ids, event_names(tenant)) == ([], ["TenantAdminDismissed"])


def test_hand_over_after_the_only_admin_was_dismissed_needs_an_admin() -> None:
    tenant = new_tenant()
    tenant.appoint_admin("member-1")
    tenant.dismiss_admin("member-1")
    tenant.collect_events()

    with pytest.raises(AdminRequired) as caught:
        tenant.hand_over()

    assert caught.value.code == "admin_required"
    assert (tenant.status, event_names(tenant)) == ("provisioning", [])


def test_noting_a_pool_remembers_it_once() -> None:
    tenant = new_tenant()

    tenant.note_pool("members")
    tenant.note_pool("expenses")
    tenant.note_pool("members")

    assert tenant.pools == ["members", "expenses"]
    assert payloads(tenant) == [
        ("SeatPoolAdded", {"pool": "members"}),
        ("SeatPoolAdded", {"pool": "expenses"}),
    ]
