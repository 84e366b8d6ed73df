"""Invitations: invite by email, accept, resend, revoke, expire.

A pending invitation reserves a `members` seat and holds the email within the
tenant; a person the service already knows joins at once.
"""

from __future__ import annotations

from datetime import timedelta

from application.decision import Decided, decided
from application.handlers.members import Joining, free_email, join
from application.handlers.pools import members_pool
from application.session import Session
from domain.claim import Claim, email_claim_id
from domain.commands import (
    AcceptInvitation,
    ExpireInvitation,
    InviteMember,
    ResendInvitation,
    RevokeInvitation,
)
from domain.common import instant
from domain.invitation import EXPIRED, Invitation
from domain.membership import EmailHolder, release_email, take_email
from domain.person import Person, person_id


def invite(cmd: InviteMember, s: Session) -> Decided:
    tenant = s.tenant(cmd.tenant_id)
    tenant.check_open()
    pool = members_pool(s, tenant)
    claim, freed = free_email(s, tenant, pool, cmd.email)
    expires_at = instant(s.now + timedelta(days=cmd.expires_in_days))
    invitation = Invitation(
        tenant_id=tenant.id, email=cmd.email, role=cmd.role, expires_at=expires_at
    )
    if s.find(Person, person_id(cmd.email)) is not None:
        # A person known to the service joins at once.
        joining = Joining(cmd.email, cmd.role)
        member, touched = join(s, tenant, pool, claim, joining)
        invitation.accept(member.id, s.now)
        return decided(invitation, member, *touched, *freed, tenant)
    pool.reserve(str(invitation.id), expires_at, s.now)
    claim = take_email(
        claim, tenant.id, cmd.email, EmailHolder.invitation(invitation.id)
    )
    return decided(invitation, pool, claim, *freed, tenant)


def accept(cmd: AcceptInvitation, s: Session) -> Decided:
    invitation = s.load(Invitation, cmd.invitation_id, "invitation")
    tenant = s.tenant(invitation.tenant_id)
    invitation.check_pending(s.now)
    tenant.check_open()
    pool = members_pool(s, tenant)
    # The reservation becomes the member's seat; re-checked against the cap.
    pool.release_reservation(str(invitation.id), s.now)
    claim = s.find(Claim, email_claim_id(tenant.id, invitation.email))
    joining = Joining(invitation.email, invitation.role, cmd.display_name)
    member, touched = join(s, tenant, pool, claim, joining)
    invitation.accept(member.id, s.now)
    return decided(invitation, member, *touched, tenant)


def resend(cmd: ResendInvitation, s: Session) -> Decided:
    invitation = s.load(Invitation, cmd.invitation_id, "invitation")
    tenant = s.tenant(invitation.tenant_id)
    expires_at = instant(s.now + timedelta(days=cmd.expires_in_days))
    invitation.resend(expires_at, s.now)
    pool = members_pool(s, tenant)
    pool.release_reservation(str(invitation.id), s.now)
    pool.reserve(str(invitation.id), expires_at, s.now)
    return decided(invitation, pool, tenant)


def revoke(cmd: RevokeInvitation, s: Session) -> Decided:
    invitation = s.load(Invitation, cmd.invitation_id, "invitation")
    tenant = s.tenant(invitation.tenant_id)
    invitation.revoke(s.now)
    pool = members_pool(s, tenant)
    pool.release_reservation(str(invitation.id), s.now)
    claim = s.find(Claim, email_claim_id(tenant.id, invitation.email))
    release_email(claim, EmailHolder.invitation(invitation.id))
    return decided(invitation, pool, claim, tenant)


def expire(cmd: ExpireInvitation, s: Session) -> Decided:
    """Records an expiry that time already brought about."""
    invitation = s.load(Invitation, cmd.invitation_id, "invitation")
    tenant = s.tenant(invitation.tenant_id)
    invitation.expire(s.now)
    pool = members_pool(s, tenant)
    claim = s.find(Claim, email_claim_id(tenant.id, invitation.email))
    if invitation.status == EXPIRED:
        pool.release_reservation(str(invitation.id), s.now)
        release_email(claim, EmailHolder.invitation(invitation.id))
    return decided(invitation, pool, claim, tenant)
