"""Tenants: create, change, licenses, lifecycle."""

from __future__ import annotations

from uuid import UUID

from application.decision import Decided, decided
from application.session import Session
from domain.claim import (
    Claim,
    check_name_free,
    name_claim_ids,
    release_former_name,
)
from domain.commands import (
    BookLicense,
    CancelLicense,
    CloseTenant,
    CreateTenant,
    HandOverTenant,
    SuspendTenant,
    UpdateTenant,
)
from domain.errors import AlreadyExists
from domain.tenant import Tenant, check_charset


def create_tenant(cmd: CreateTenant, s: Session) -> Decided:
    charset = check_charset(cmd.type, cmd.charset)
    parent = s.tenant(cmd.parent_id) if cmd.parent_id else None
    if parent is not None:
        parent.check_may_have_children()
    tenant = Tenant(
        name=cmd.name,
        parent_id=cmd.parent_id,
        tenant_type=cmd.type,
        edition=cmd.edition,
        charset=charset,
        logo_url=cmd.logo_url,
    )
    claim = claim_name(s, cmd.parent_id, cmd.name, tenant.id)
    if parent is not None:
        parent.attach_child(tenant.id)
    return decided(tenant, claim, parent)


def claim_name(s: Session, parent_id: UUID | None, name: str, tenant_id: UUID) -> Claim:
    """The sibling name's claim, taken for the tenant (already_exists when a
    sibling holds it, under today's claim id or the one it had before names
    were NFKC-normalised)."""
    key, *legacy = name_claim_ids(parent_id, name)
    check_name_free((s.find(Claim, k) for k in legacy), str(tenant_id))
    claim = s.find(Claim, key)
    if claim is None:
        return Claim(key=key, owner=str(tenant_id), tenant_id=tenant_id)
    if not claim.is_free_for(str(tenant_id)):
        raise AlreadyExists("a sibling tenant with that name exists")
    claim.take(str(tenant_id), tenant_id)
    return claim


def update_tenant(cmd: UpdateTenant, s: Session) -> Decided:
    tenant = s.tenant(cmd.tenant_id)
    claims: list[Claim] = []
    if cmd.name is not None and cmd.name != tenant.name:
        tenant.check_open()
        new_claim = claim_name(s, tenant.parent_id, cmd.name, tenant.id)
        former = name_claim_ids(tenant.parent_id, tenant.name)
        found = [s.find(Claim, key) for key in former]
        claims += release_former_name(found, str(tenant.id), new_claim.id)
        claims.append(new_claim)
        tenant.rename(cmd.name)
    if "logo_url" in cmd.model_fields_set:
        tenant.change_logo(cmd.logo_url)
    if cmd.edition is not None:
        tenant.change_edition(cmd.edition)
    return decided(tenant, *claims)


def book_license(cmd: BookLicense, s: Session) -> Decided:
    tenant = s.tenant(cmd.tenant_id)
    tenant.book_license(cmd.feature)
    return decided(tenant)


def cancel_license(cmd: CancelLicense, s: Session) -> Decided:
    tenant = s.tenant(cmd.tenant_id)
    tenant.cancel_license(cmd.feature)
    return decided(tenant)


def hand_over(cmd: HandOverTenant, s: Session) -> Decided:
    tenant = s.tenant(cmd.tenant_id)
    tenant.hand_over()
    return decided(tenant)


def suspend(cmd: SuspendTenant, s: Session) -> Decided:
    tenant = s.tenant(cmd.tenant_id)
    tenant.suspend()
    return decided(tenant)


def close(cmd: CloseTenant, s: Session) -> Decided:
    tenant = s.tenant(cmd.tenant_id)
    tenant.close()
    return decided(tenant)
