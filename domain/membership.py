"""Rules that span a tenant's members, invitations, emails and members pool.

An email is held within a tenant by one member or one pending invitation (a
Claim keyed by the email); a member who counts holds a seat of the `members`
pool, and a pending invitation reserves one. These rules touch several
aggregates, so they live here, named, rather than in any one of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from uuid import UUID

from domain.claim import Claim, email_claim_id
from domain.errors import AlreadyMember
from domain.invitation import Invitation
from domain.member import ACTIVE, Member
from domain.seat_pool import SeatPool

HolderKind = Literal["member", "invitation"]


@dataclass(frozen=True)
class EmailHolder:
    """Who holds an email within a tenant. Stored in the claim as
    `member:<id>` or `invitation:<id>` (the form claims were first recorded in)."""

    kind: HolderKind
    id: UUID

    def __str__(self) -> str:
        return f"{self.kind}:{self.id}"

    @classmethod
    def member(cls, member_id: UUID) -> EmailHolder:
        return cls("member", member_id)

    @classmethod
    def invitation(cls, invitation_id: UUID) -> EmailHolder:
        return cls("invitation", invitation_id)

    @classmethod
    def of(cls, claim: Claim | None) -> EmailHolder | None:
        if claim is None or claim.owner is None:
            return None
        kind, _, ref = claim.owner.partition(":")
        if kind not in ("member", "invitation"):
            return None
        return cls(kind, UUID(ref))  # type: ignore[arg-type]


def check_email_free(email: str, holder: EmailHolder | None) -> None:
    if holder is not None:
        raise AlreadyMember(
            f"{email} is already a member or has a pending invitation", email=email
        )


def expire_lapsed(invitation: Invitation, pool: SeatPool, now: datetime) -> bool:
    """A pending invitation past its expiry holds nothing any more: it is
    recorded as expired and its reservation released. True when it lapsed."""
    if not invitation.is_lapsed(now):
        return False
    invitation.expire(now)
    pool.release_reservation(str(invitation.id), now)
    return True


def take_email(
    claim: Claim | None, tenant_id: UUID, email: str, holder: EmailHolder
) -> Claim:
    """The email's claim, now held by `holder` (callers checked it is free)."""
    if claim is None:
        return Claim(
            key=email_claim_id(tenant_id, email), owner=str(holder), tenant_id=tenant_id
        )
    claim.take(str(holder))
    return claim


def release_email(claim: Claim | None, holder: EmailHolder) -> None:
    """Frees the email if `holder` still holds it (a later holder keeps it)."""
    if claim is not None and claim.owner == str(holder):
        claim.release()


def seat_follows_member(pool: SeatPool, member: Member, now: datetime) -> None:
    """An active member holds a seat (counting up to its end date); a passive
    or removed one does not. Taking a seat that counts needs a free one."""
    key = str(member.id)
    if member.status != ACTIVE:
        if pool.holds(key):
            pool.release(key, now)
    elif not pool.holds(key):
        pool.assign(key, now, member.end_date)
    else:
        pool.change_end_date(key, member.end_date, now)
