"""Claim: a unique key held by one owner at a time.

Uniqueness across aggregates (a name among siblings, an email within a
tenant) cannot be checked inside either aggregate. A claim's id is derived
from the key, so two concurrent first claims collide on the store's version
check and the loser retries, finding the key taken.
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.common import (
    derive_id,
    legacy_normalise_name,
    normalise_email,
    normalise_name,
)
from domain.errors import AlreadyExists


def name_claim_id(parent_id: UUID | None, name: str) -> UUID:
    return derive_id("tenant-name", parent_id or "root", normalise_name(name))


def name_claim_ids(parent_id: UUID | None, name: str) -> list[UUID]:
    """Every claim that may hold this name: its claim under today's rule and,
    when different, the claim a name spelt so would have got before names
    were NFKC-normalised. A store keeps its claims, so a sibling recorded then
    (say a fullwidth `Acme`, claimed in fullwidth lower case) stays found under
    its old id; for most names (ASCII, already NFKC) both ids are one."""
    legacy = derive_id("tenant-name", parent_id or "root", legacy_normalise_name(name))
    current = name_claim_id(parent_id, name)
    return [current] if legacy == current else [current, legacy]


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

    def is_held_by(self, owner: str) -> bool:
        return self.owner == owner

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


def check_name_free(claims: Iterable[Claim | None], owner: str) -> None:
    """Refuses a name any of its claims (name_claim_ids) gives to another."""
    if any(c is not None and not c.is_free_for(owner) for c in claims):
        raise AlreadyExists("a sibling tenant with that name exists")


def release_former_name(
    claims: Iterable[Claim | None], owner: str, keep: UUID
) -> list[Claim]:
    """Releases the claims `owner` holds on its former name, except `keep`
    (the one on its new name). Only its own: under the new rule a former
    name's current claim may belong to a sibling recorded since."""
    released = [
        c for c in claims if c is not None and c.id != keep and c.is_held_by(owner)
    ]
    for claim in released:
        claim.release()
    return released
