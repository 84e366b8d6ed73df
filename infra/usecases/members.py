"""Members and invitations: the `members` pool, admins, email uniqueness.

Every change that moves a `members` seat saves the members pool with it, and
every change of who is an active admin saves the tenant with it, so the limit
and the last-admin rule hold under any concurrency.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.claim import Claim, email_claim_id
from domain.commands import (
    AcceptInvitation,
    AddMember,
    InviteMember,
    RemoveMember,
    ResendInvitation,
    RevokeInvitation,
    UpdateMember,
)
from domain.common import instant
from domain.errors import AlreadyMember, NotFound
from domain.invitation import Invitation
from domain.member import ACTIVE, PASSIVE, Member, check_dates
from domain.person import Person, person_id
from domain.seat_pool import MEMBERS, SeatPool, counts, pool_id
from domain.tenant import Tenant
from infra.events import CommandContext
from infra.usecases.base import Outcome, retrying
from infra.usecases.seats import SeatCases


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


class MemberCases(SeatCases):
    def member(self, tenant_id: UUID, member_id: UUID) -> Member:
        found = self._find(Member, member_id)
        if found is None or found.tenant_id != tenant_id:
            raise NotFound("member not found")
        return found

    def invitation(self, invitation_id: UUID) -> Invitation:
        return self._load(Invitation, invitation_id, "invitation")

    # -- uniqueness of an email within a tenant ---------------------------

    def _free_email(
        self, tenant: Tenant, pool: SeatPool, email: str, now: datetime
    ) -> tuple[Claim | None, list[Aggregate]]:
        """The email's claim if it can be taken, plus what freeing it touched
        (a lapsed invitation is expired on the way); else already_member."""
        claim = self._find(Claim, email_claim_id(tenant.id, email))
        if claim is None or claim.owner is None:
            return claim, []
        kind, _, ref = claim.owner.partition(":")
        if kind == "invitation":
            invitation = self._find(Invitation, UUID(ref))
            if invitation is not None and invitation.is_lapsed(now):
                invitation.expire(now)
                pool.release_reservation(ref, now)
                return claim, [invitation]
        raise AlreadyMember(
            f"{email} is already a member or has a pending invitation", email=email
        )

    def _take_email(
        self, tenant: Tenant, claim: Claim | None, email: str, owner: str
    ) -> Claim:
        if claim is None:
            return Claim(
                key=email_claim_id(tenant.id, email), owner=owner, tenant_id=tenant.id
            )
        claim.take(owner)
        return claim

    # -- members ------------------------------------------------------------

    @retrying
    def add_member(self, ctx: CommandContext, cmd: AddMember) -> Outcome:
        now = self.clock()
        check_dates(_iso(cmd.start_date), _iso(cmd.end_date))
        tenant = self.tenant(cmd.tenant_id)
        tenant.check_open()
        pool = self._members_pool(tenant)
        claim, freed = self._free_email(tenant, pool, cmd.email, now)
        member, touched = self._join(tenant, pool, claim, cmd.email, cmd.role, now, cmd)
        return self._outcome(ctx, member, *touched, *freed, tenant)

    def _join(
        self,
        tenant: Tenant,
        pool: SeatPool,
        claim: Claim | None,
        email: str,
        role: str,
        now: datetime,
        cmd: AddMember | None = None,
        display_name: str | None = None,
    ) -> tuple[Member, list[Aggregate]]:
        """A new member: person, email claim, a members seat, admin roster."""
        person = self._find(Person, person_id(email)) or Person(email=email)
        end_date = _iso(cmd.end_date) if cmd else None
        member = Member(
            tenant_id=tenant.id,
            person_id=person.id,
            email=email,
            display_name=cmd.display_name if cmd else display_name,
            role=role,
            start_date=_iso(cmd.start_date) if cmd else None,
            end_date=end_date,
        )
        pool.assign(str(member.id), now, end_date)
        if member.is_admin:
            tenant.appoint_admin(str(member.id))
        owner = f"member:{member.id}"
        claim = self._take_email(tenant, claim, email, owner)
        return member, [person, claim, pool]

    def _members_pool(self, tenant: Tenant) -> SeatPool:
        return self.tracked_pool(tenant, MEMBERS)

    @retrying
    def update_member(self, ctx: CommandContext, cmd: UpdateMember) -> Outcome:
        now = self.clock()
        # Dates given together are checked before anything is loaded: the
        # shape of a request (422) comes before its target (404).
        check_dates(_iso(cmd.start_date), _iso(cmd.end_date))
        tenant = self.tenant(cmd.tenant_id)
        member = self.member(tenant.id, cmd.member_id)
        fields = cmd.model_fields_set
        start = _iso(cmd.start_date) if "start_date" in fields else member.start_date
        end = _iso(cmd.end_date) if "end_date" in fields else member.end_date
        check_dates(start, end)
        member.check_present()
        tenant.check_open()
        was_admin = member.is_admin
        if cmd.role is not None:
            member.change_role(cmd.role)
        if cmd.status == PASSIVE:
            member.deactivate()
        elif cmd.status == ACTIVE:
            member.reactivate()
        member.change_dates(start, end)
        if was_admin and not member.is_admin:
            tenant.dismiss_admin(str(member.id))
        if member.is_admin:
            tenant.appoint_admin(str(member.id))
        pool = self._members_pool(tenant)
        self._seat_follows_member(pool, member, now)
        return self._outcome(ctx, member, tenant, pool)

    def _seat_follows_member(
        self, pool: SeatPool, member: Member, now: datetime
    ) -> None:
        """An active member holds a seat (counting up to its end date); a
        passive one does not. Taking a seat that counts needs a free one."""
        key = str(member.id)
        if member.status != ACTIVE:
            if pool.holds(key):
                pool.release(key, now)
        elif not pool.holds(key):
            pool.assign(key, now, member.end_date)
        else:
            pool.change_end_date(key, member.end_date, now)

    @retrying
    def remove_member(self, ctx: CommandContext, cmd: RemoveMember) -> Outcome:
        now = self.clock()
        tenant = self.tenant(cmd.tenant_id)
        member = self.member(tenant.id, cmd.member_id)
        member.check_present()
        if member.is_admin:
            tenant.dismiss_admin(str(member.id))
        member.remove()
        released: list[Aggregate] = []
        for slug in tenant.pools:
            pool = self._find(SeatPool, pool_id(tenant.id, slug))
            if pool is not None and pool.holds(str(member.id)):
                pool.release(str(member.id), now)
                released.append(pool)
        claim = self._find(Claim, email_claim_id(tenant.id, member.email))
        if claim is not None and claim.owner == f"member:{member.id}":
            claim.release()
        return self._outcome(ctx, member, tenant, claim, *released)

    # -- invitations ----------------------------------------------------------

    @retrying
    def invite(self, ctx: CommandContext, cmd: InviteMember) -> Outcome:
        now = self.clock()
        tenant = self.tenant(cmd.tenant_id)
        tenant.check_open()
        pool = self._members_pool(tenant)
        claim, freed = self._free_email(tenant, pool, cmd.email, now)
        expires_at = instant(now + timedelta(days=cmd.expires_in_days))
        invitation = Invitation(
            tenant_id=tenant.id, email=cmd.email, role=cmd.role, expires_at=expires_at
        )
        if self._find(Person, person_id(cmd.email)) is not None:
            # A person known to the service joins at once.
            member, touched = self._join(tenant, pool, claim, cmd.email, cmd.role, now)
            invitation.accept(member.id, now)
            return self._outcome(ctx, invitation, member, *touched, *freed, tenant)
        pool.reserve(str(invitation.id), expires_at, now)
        claim = self._take_email(
            tenant, claim, cmd.email, f"invitation:{invitation.id}"
        )
        return self._outcome(ctx, invitation, pool, claim, *freed, tenant)

    @retrying
    def accept_invitation(self, ctx: CommandContext, cmd: AcceptInvitation) -> Outcome:
        now = self.clock()
        invitation = self.invitation(cmd.invitation_id)
        tenant = self.tenant(invitation.tenant_id)
        invitation.check_pending(now)
        tenant.check_open()
        pool = self._members_pool(tenant)
        # The reservation becomes the member's seat; re-checked against the cap.
        pool.release_reservation(str(invitation.id), now)
        claim = self._find(Claim, email_claim_id(tenant.id, invitation.email))
        member, touched = self._join(
            tenant,
            pool,
            claim,
            invitation.email,
            invitation.role,
            now,
            display_name=cmd.display_name,
        )
        invitation.accept(member.id, now)
        return self._outcome(ctx, invitation, member, *touched, tenant)

    @retrying
    def resend_invitation(self, ctx: CommandContext, cmd: ResendInvitation) -> Outcome:
        now = self.clock()
        invitation = self.invitation(cmd.invitation_id)
        tenant = self.tenant(invitation.tenant_id)
        expires_at = instant(now + timedelta(days=cmd.expires_in_days))
        invitation.resend(expires_at, now)
        pool = self._members_pool(tenant)
        pool.release_reservation(str(invitation.id), now)
        pool.reserve(str(invitation.id), expires_at, now)
        return self._outcome(ctx, invitation, pool, tenant)

    @retrying
    def revoke_invitation(self, ctx: CommandContext, cmd: RevokeInvitation) -> Outcome:
        now = self.clock()
        invitation = self.invitation(cmd.invitation_id)
        tenant = self.tenant(invitation.tenant_id)
        invitation.revoke(now)
        pool = self._members_pool(tenant)
        pool.release_reservation(str(invitation.id), now)
        claim = self._find(Claim, email_claim_id(tenant.id, invitation.email))
        if claim is not None and claim.owner == f"invitation:{invitation.id}":
            claim.release()
        return self._outcome(ctx, invitation, pool, claim, tenant)

    @retrying
    def expire_invitation(self, ctx: CommandContext, invitation_id: UUID) -> Outcome:
        """Records an expiry time already brought about (for cron)."""
        now = self.clock()
        invitation = self.invitation(invitation_id)
        tenant = self.tenant(invitation.tenant_id)
        invitation.expire(now)
        pool = self._members_pool(tenant)
        claim = self._find(Claim, email_claim_id(tenant.id, invitation.email))
        if invitation.status == "expired":
            pool.release_reservation(str(invitation.id), now)
            if claim is not None and claim.owner == f"invitation:{invitation.id}":
                claim.release()
        return self._outcome(ctx, invitation, pool, claim, tenant)

    @retrying
    def end_seat(
        self, ctx: CommandContext, tenant_id: UUID, member_id: UUID
    ) -> Outcome:
        """Releases the seat of a member whose end date has passed (for cron),
        so history shows when it was freed. Extending the date takes it again."""
        now = self.clock()
        tenant = self.tenant(tenant_id)
        member = self.member(tenant_id, member_id)
        pool = self._members_pool(tenant)
        key = str(member.id)
        if pool.holds(key) and not counts(pool.holders[key], now):
            pool.release(key, now)
        return self._outcome(ctx, member, pool, tenant)
