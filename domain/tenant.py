"""Tenant (Mandant): a customer account, possibly under a partner tenant."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.common import MULTI_TENANT, Edition, TenantStatus, TenantType
from domain.errors import (
    AdminRequired,
    InvalidState,
    LastAdmin,
    LicenseRequired,
    NotFound,
    ValidationFailed,
)

UTF8 = "UTF-8"


def check_charset(tenant_type: TenantType, charset: str) -> str:
    if charset.upper().replace("_", "-") in {"UTF-8", "UTF8"}:
        return UTF8
    if tenant_type == TenantType.STANDARD:
        raise ValidationFailed(
            "STANDARD tenants always use UTF-8", field="charset", value=charset
        )
    return charset


class Tenant(Aggregate):
    @event("TenantCreated")
    def __init__(
        self,
        name: str,
        parent_id: UUID | None,
        tenant_type: TenantType,
        edition: Edition,
        charset: str,
        logo_url: str | None,
    ) -> None:
        self.name = name
        self.parent_id = parent_id
        # Plain strings in state: snapshots store JSON, and must rebuild the
        # aggregate exactly (an enum would come back as a str).
        self.tenant_type: str = TenantType(tenant_type).value
        self.edition: str = Edition(edition).value
        self.charset = charset
        self.logo_url = logo_url
        self.status: str = TenantStatus.PROVISIONING.value
        self.licenses: list[str] = []
        self.children: list[UUID] = []
        self.admin_ids: list[str] = []
        self.pools: list[str] = []

    @property
    def tenant_id(self) -> UUID:
        return self.id

    @property
    def display_name(self) -> str:
        return self.name

    def holds(self, feature: str) -> bool:
        return feature in self.licenses

    def check_open(self) -> None:
        if self.status == TenantStatus.CLOSED:
            raise InvalidState("tenant is closed", status=self.status)

    def check_may_have_children(self) -> None:
        self.check_open()
        if not self.holds(MULTI_TENANT):
            raise LicenseRequired(
                "the tenant needs the multi_tenant license to manage sub-tenants",
                feature=MULTI_TENANT,
                tenant_id=str(self.id),
            )

    def attach_child(self, child_id: UUID) -> None:
        self.check_may_have_children()
        self._attach_child(child_id)

    @event("SubTenantAttached")
    def _attach_child(self, child_id: UUID) -> None:
        self.children.append(child_id)

    def rename(self, name: str) -> None:
        self.check_open()
        if name != self.name:
            self._rename(name)

    @event("TenantRenamed")
    def _rename(self, name: str) -> None:
        self.name = name

    def change_logo(self, logo_url: str | None) -> None:
        self.check_open()
        if logo_url != self.logo_url:
            self._change_logo(logo_url)

    @event("TenantLogoChanged")
    def _change_logo(self, logo_url: str | None) -> None:
        self.logo_url = logo_url

    def change_edition(self, edition: Edition) -> None:
        self.check_open()
        if edition != self.edition:
            self._change_edition(edition)

    @event("TenantEditionChanged")
    def _change_edition(self, edition: Edition) -> None:
        self.edition = Edition(edition).value

    def book_license(self, feature: str) -> bool:
        """Returns False when the tenant already holds it (no event)."""
        self.check_open()
        if self.holds(feature):
            return False
        self._book_license(feature)
        return True

    @event("FeatureLicenseBooked")
    def _book_license(self, feature: str) -> None:
        self.licenses.append(feature)

    def cancel_license(self, feature: str) -> None:
        self.check_open()
        if not self.holds(feature):
            raise NotFound(f"the tenant holds no {feature} license", feature=feature)
        self._cancel_license(feature)

    @event("FeatureLicenseCancelled")
    def _cancel_license(self, feature: str) -> None:
        self.licenses.remove(feature)

    def note_pool(self, pool: str) -> None:
        """Remembers the tenant's pools, so a member's removal can free its
        seats in every one of them in the same save."""
        if pool not in self.pools:
            self._note_pool(pool)

    @event("SeatPoolAdded")
    def _note_pool(self, pool: str) -> None:
        self.pools.append(pool)

    def appoint_admin(self, member_id: str) -> None:
        if member_id not in self.admin_ids:
            self._appoint_admin(member_id)

    @event("TenantAdminAppointed")
    def _appoint_admin(self, member_id: str) -> None:
        self.admin_ids.append(member_id)

    def dismiss_admin(self, member_id: str) -> None:
        if member_id not in self.admin_ids:
            return
        if self.status == TenantStatus.ACTIVE and self.admin_ids == [member_id]:
            raise LastAdmin(
                "the last admin of an active tenant must stay an active admin",
                member_id=member_id,
            )
        self._dismiss_admin(member_id)

    @event("TenantAdminDismissed")
    def _dismiss_admin(self, member_id: str) -> None:
        self.admin_ids.remove(member_id)

    def hand_over(self) -> None:
        if self.status != TenantStatus.PROVISIONING:
            raise InvalidState(
                "only a tenant in provisioning can be handed over",
                status=self.status,
            )
        if not self.admin_ids:
            raise AdminRequired("the tenant needs at least one admin member first")
        self._hand_over()

    @event("TenantHandedOver")
    def _hand_over(self) -> None:
        self.status = TenantStatus.ACTIVE.value

    def suspend(self) -> None:
        if self.status in (TenantStatus.SUSPENDED, TenantStatus.CLOSED):
            raise InvalidState(
                f"a {self.status} tenant cannot be suspended",
                status=self.status,
            )
        self._suspend()

    @event("TenantSuspended")
    def _suspend(self) -> None:
        self.status = TenantStatus.SUSPENDED.value

    def close(self) -> None:
        self.check_open()
        self._close()

    @event("TenantClosed")
    def _close(self) -> None:
        self.status = TenantStatus.CLOSED.value
