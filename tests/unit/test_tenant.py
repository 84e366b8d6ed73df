"""Tenant: build, call, assert on state and on the events."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID, uuid4

import pytest

from domain.common import MULTI_TENANT, Edition, TenantStatus, TenantType
from domain.errors import (
    AdminRequired,
    InvalidState,
    LicenseRequired,
    NotFound,
    ValidationFailed,
)
from domain.tenant import Tenant, check_charset
from tests.unit.builders import event_names, handed_over, new_tenant


@pytest.mark.parametrize("parent_id", [None, uuid4()], ids=["root", "child"])
def test_new_tenant_starts_in_provisioning_with_nothing_booked(
    parent_id: UUID | None,
) -> None:
    tenant = Tenant(
        name="Acme",
        parent_id=parent_id,
        tenant_type=TenantType.STANDARD,
        edition=Edition.BASIC,
        charset="UTF-8",
        logo_url=None,
    )

    assert tenant.status == TenantStatus.PROVISIONING
    assert tenant.parent_id == parent_id
    assert (tenant.licenses, tenant.children, tenant.admin_ids) == ([], [], [])
    assert tenant.pools == []
    assert tenant.display_name == "Acme"
    assert tenant.tenant_id == tenant.id
    assert event_names(tenant) == ["TenantCreated"]


@pytest.mark.parametrize("charset", ["ISO-8859-1", "latin1", "UTF-16"])
def test_standard_tenant_charset_must_be_utf8(charset: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        check_charset(TenantType.STANDARD, charset)

    assert caught.value.code == "validation_error"
    assert caught.value.extra["field"] == "charset"


@pytest.mark.parametrize("tenant_type", list(TenantType))
@pytest.mark.parametrize("spelling", ["UTF-8", "utf-8", "UTF8", "utf_8"])
def test_any_spelling_of_utf8_is_normalised(
    tenant_type: TenantType, spelling: str
) -> None:
    assert check_charset(tenant_type, spelling) == "UTF-8"


def test_custom_tenant_may_use_another_charset() -> None:
    assert check_charset(TenantType.CUSTOM, "ISO-8859-1") == "ISO-8859-1"


def test_booking_a_license_records_it() -> None:
    tenant = new_tenant()

    assert tenant.book_license("expenses") is True
    assert tenant.holds("expenses")
    assert event_names(tenant) == ["FeatureLicenseBooked"]


def test_booking_a_held_license_is_a_no_op() -> None:
    tenant = new_tenant()
    tenant.book_license("expenses")
    tenant.collect_events()

    assert tenant.book_license("expenses") is False
    assert tenant.licenses == ["expenses"]
    assert event_names(tenant) == []


def test_cancelling_a_held_license_removes_it() -> None:
    tenant = new_tenant()
    tenant.book_license("expenses")
    tenant.collect_events()

    tenant.cancel_license("expenses")

    assert not tenant.holds("expenses")
    assert event_names(tenant) == ["FeatureLicenseCancelled"]


def test_cancelling_a_license_not_held_is_not_found() -> None:
    tenant = new_tenant()

    with pytest.raises(NotFound) as caught:
        tenant.cancel_license("expenses")

    assert caught.value.extra == {"feature": "expenses"}
    assert event_names(tenant) == []


def test_children_need_the_multi_tenant_license() -> None:
    tenant = new_tenant()

    with pytest.raises(LicenseRequired) as caught:
        tenant.attach_child(uuid4())

    assert caught.value.code == "license_required"
    assert caught.value.extra["feature"] == MULTI_TENANT
    assert tenant.children == []
    assert event_names(tenant) == []


def test_tenant_with_multi_tenant_attaches_children() -> None:
    tenant = new_tenant()
    tenant.book_license(MULTI_TENANT)
    tenant.collect_events()
    child_id = uuid4()

    tenant.attach_child(child_id)

    assert tenant.children == [child_id]
    assert event_names(tenant) == ["SubTenantAttached"]


def test_hand_over_without_an_admin_is_refused() -> None:
    tenant = new_tenant()

    with pytest.raises(AdminRequired):
        tenant.hand_over()

    assert tenant.status == TenantStatus.PROVISIONING
    assert event_names(tenant) == []


def test_hand_over_with_an_admin_activates_the_tenant() -> None:
    tenant = new_tenant()
    tenant.appoint_admin("member-1")
    tenant.collect_events()

    tenant.hand_over()

    assert tenant.status == TenantStatus.ACTIVE
    assert event_names(tenant) == ["TenantHandedOver"]


def test_state_holds_plain_strings_so_json_snapshots_rebuild_it() -> None:
    tenant = new_tenant(tenant_type=TenantType.CUSTOM, edition=Edition.ENTERPRISE)
    tenant.change_edition(Edition.PROFESSIONAL)

    values = (tenant.status, tenant.tenant_type, tenant.edition)
    assert values == ("provisioning", "CUSTOM", "PROFESSIONAL")
    assert {type(v) for v in values} == {str}


@pytest.mark.parametrize("suspend_first", [False, True])
def test_only_a_provisioning_tenant_can_be_handed_over(suspend_first: bool) -> None:
    tenant = handed_over()
    if suspend_first:
        tenant.suspend()
        tenant.collect_events()

    with pytest.raises(InvalidState):
        tenant.hand_over()

    assert event_names(tenant) == []


@pytest.mark.parametrize("build", [new_tenant, handed_over])
def test_suspending_an_open_tenant_suspends_it(build: Callable[[], Tenant]) -> None:
    tenant = build()

    tenant.suspend()

    assert tenant.status == TenantStatus.SUSPENDED
    assert event_names(tenant) == ["TenantSuspended"]


def test_suspending_a_suspended_tenant_is_invalid_state() -> None:
    tenant = handed_over()
    tenant.suspend()
    tenant.collect_events()

    with pytest.raises(InvalidState) as caught:
        tenant.suspend()

    assert caught.value.extra == {"status": "suspended"}
    assert event_names(tenant) == []


@pytest.mark.parametrize("suspend_first", [False, True])
def test_closing_a_tenant_closes_it(suspend_first: bool) -> None:
    tenant = handed_over()
    if suspend_first:
        tenant.suspend()
        tenant.collect_events()

    tenant.close()

    assert tenant.status == TenantStatus.CLOSED
    assert event_names(tenant) == ["TenantClosed"]


LOGO = "https://example.com/logo.png"
CHANGES: dict[str, Callable[[Tenant], object]] = {
    "rename": lambda t: t.rename("Other"),
    "logo": lambda t: t.change_logo(LOGO),
    "edition": lambda t: t.change_edition(Edition.ENTERPRISE),
    "book": lambda t: t.book_license("expenses"),
    "cancel": lambda t: t.cancel_license(MULTI_TENANT),
    "child": lambda t: t.attach_child(uuid4()),
    "hand_over": lambda t: t.hand_over(),
    "suspend": lambda t: t.suspend(),
    "close": lambda t: t.close(),
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_closed_tenant_refuses_changes(change: Callable[[Tenant], object]) -> None:
    tenant = new_tenant()
    tenant.book_license(MULTI_TENANT)
    tenant.close()
    tenant.collect_events()

    with pytest.raises(InvalidState):
        change(tenant)

    assert tenant.status == TenantStatus.CLOSED
    assert event_names(tenant) == []


def test_rename_logo_and_edition_record_only_real_changes() -> None:
    tenant = new_tenant()

    tenant.rename("Acme")
    tenant.change_logo(None)
    tenant.change_edition(Edition.BASIC)
    assert event_names(tenant) == []

    tenant.rename("Acme GmbH")
    tenant.change_logo(LOGO)
    tenant.change_edition(Edition.PROFESSIONAL)
    names = ["TenantRenamed", "TenantLogoChanged", "TenantEditionChanged"]
    assert event_names(tenant) == names
    assert (tenant.name, tenant.logo_url) == ("Acme GmbH", LOGO)
    assert tenant.edition == Edition.PROFESSIONAL
