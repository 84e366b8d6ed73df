"""Tenants: create, change, licenses, lifecycle."""

from __future__ import annotations

from uuid import UUID

from domain.claim import (
    Claim,
    check_name_free,
    name_claim_ids,
    release_former_name,
)
from domain.commands import CreateTenant, UpdateTenant
from domain.errors import AlreadyExists
from domain.tenant import Tenant, check_charset
from infra.events import CommandContext
from infra.usecases.base import LedgerBase, Outcome, retrying


class TenantCases(LedgerBase):
    def subtree(self, root: UUID) -> list[UUID]:
        """The tenant and all its descendants, breadth first, from the store
        (a sub-tenant created a moment ago is in it); NotFound when unknown."""
        found = [self.tenant(root).id]
        for tenant_id in found:  # grows as children are found
            found.extend(c for c in self.tenant(tenant_id).children if c not in found)
        return found

    @retrying
    def create_tenant(self, ctx: CommandContext, cmd: CreateTenant) -> Outcome:
        charset = check_charset(cmd.type, cmd.charset)
        parent = self.tenant(cmd.parent_id) if cmd.parent_id else None
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
        claim = self._claim_name(cmd.parent_id, cmd.name, tenant.id)
        if parent is not None:
            parent.attach_child(tenant.id)
        return self._outcome(ctx, tenant, claim, parent)

    def _claim_name(self, parent_id: UUID | None, name: str, tenant_id: UUID) -> Claim:
        key, *legacy = name_claim_ids(parent_id, name)
        check_name_free((self._find(Claim, k) for k in legacy), str(tenant_id))
        claim = self._find(Claim, key)
        if claim is None:
            return Claim(key=key, owner=str(tenant_id), tenant_id=tenant_id)
        if not claim.is_free_for(str(tenant_id)):
            raise AlreadyExists("a sibling tenant with that name exists")
        claim.take(str(tenant_id), tenant_id)
        return claim

    @retrying
    def update_tenant(self, ctx: CommandContext, cmd: UpdateTenant) -> Outcome:
        tenant = self.tenant(cmd.tenant_id)
        claims: list[Claim] = []
        if cmd.name is not None and cmd.name != tenant.name:
            tenant.check_open()
            new_claim = self._claim_name(tenant.parent_id, cmd.name, tenant.id)
            former = name_claim_ids(tenant.parent_id, tenant.name)
            found = (self._find(Claim, key) for key in former)
            claims += release_former_name(found, str(tenant.id), new_claim.id)
            claims.append(new_claim)
            tenant.rename(cmd.name)
        if "logo_url" in cmd.model_fields_set:
            tenant.change_logo(cmd.logo_url)
        if cmd.edition is not None:
            tenant.change_edition(cmd.edition)
        return self._outcome(ctx, tenant, *claims)

    @retrying
    def book_license(
        self, ctx: CommandContext, tenant_id: UUID, feature: str
    ) -> Outcome:
        tenant = self.tenant(tenant_id)
        tenant.book_license(feature)
        return self._outcome(ctx, tenant)

    @retrying
    def cancel_license(
        self, ctx: CommandContext, tenant_id: UUID, feature: str
    ) -> Outcome:
        tenant = self.tenant(tenant_id)
        tenant.cancel_license(feature)
        return self._outcome(ctx, tenant)

    @retrying
    def hand_over(self, ctx: CommandContext, tenant_id: UUID) -> Outcome:
        tenant = self.tenant(tenant_id)
        tenant.hand_over()
        return self._outcome(ctx, tenant)

    @retrying
    def suspend_tenant(self, ctx: CommandContext, tenant_id: UUID) -> Outcome:
        tenant = self.tenant(tenant_id)
        tenant.suspend()
        return self._outcome(ctx, tenant)

    @retrying
    def close_tenant(self, ctx: CommandContext, tenant_id: UUID) -> Outcome:
        tenant = self.tenant(tenant_id)
        tenant.close()
        return self._outcome(ctx, tenant)
