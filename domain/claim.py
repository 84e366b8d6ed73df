"""Claim: a unique key held by one owner at a time.

Uniqueness across aggregates (a name among siblings, an email within a
tenant) cannot be checked inside either aggregate. A claim's id is derived
from the key, so two concurrent first claims collide on the store's version
check and the loser retries, finding the key taken.
"""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.common import derive_id, normalise_email, normalise_name


def name_claim_id(parent_id: UUID | None, name: str) -> UUID:
    return derive_id("tenant-name", parent_id or "root", normalise_name(name))


def email_claim_id(tenant_id: UUID, email: str) -> UUID:
    return derive_id("member-email", tenant_id, normalise_email(email))


class Claim(Aggregate):
    @staticmethod
    def create_id(key: UUID, owner: str, tenant_id: UUID | None) -> UUID:
        return key

    @event("Claimed")
    def __init__(self, key: UUID, owner: str, tenant_id: UUID | None) -> None:
        self.owner: str | None = owner
        self.tenant_id = tenant_id

    def is_free_for(self, owner: str) -> bool:
        return self.owner in (None, owner)

    def take(self, owner: str, tenant_id: UUID | None = None) -> None:
        """Takes a free claim (callers check is_free_for and name the error).
        A name among siblings passes from tenant to tenant: the new holder's
        tenant owns the claim's events from then on."""
        if self.owner != owner:
            self._take(owner, tenant_id)

    @event("Reclaimed")
    def _take(self, owner: str, tenant_id: UUID | None = None) -> None:
        # Reclaimed events recorded before carried no tenant: it stays.
        self.owner = owner
        if tenant_id is not None:
            self.tenant_id = tenant_id

    def release(self) -> None:
        if self.owner is not None:
            self._release()

    @event("Released")
    def _release(self) -> None:
        self.owner = None
