"""Members: add, change, remove; the `members` pool and the admin roster.

Every change that moves a `members` seat saves the members pool with it, and
every change of who is an active admin saves the tenant with it, so the limit
and the last-admin rule hold under any concurrency.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from eventsourcing.domain import Aggregate

from application.decision import Decided, decided
from application.handlers.pools import find_pool, members_pool
from application.session import Session
from domain.claim import Claim, email_claim_id
from domain.commands import AddMember, EndSeat, RemoveMember, UpdateMember
from domain.errors import NotFound
from domain.invitation import Invitation
from domain.member import ACTIVE, PASSIVE, Member, check_dates
from domain.membership import (
    EmailHolder,
    check_email_free,
    expire_lapsed,
    release_email,
    seat_follows_member,
    take_email,
)
from domain.person import Person, person_id
from domain.seat_pool import SeatPool, counts
from domain.tenant import Tenant


def iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def member_of(s: Session, tenant_id: UUID, member_id: UUID) -> Member:
    found = s.find(Member, member_id)
    if found is None or found.tenant_id != tenant_id:
        raise NotFound("member not found")
    return found


def free_email(
    s: Session, tenant: Tenant, pool: SeatPool, email: str
) -> tuple[Claim | None, list[Aggregate]]:
    """The email's claim if it may be taken, and what freeing it changed (an
    invitation past its expiry is expired on the way); else already_member."""
    claim = s.find(Claim, email_claim_id(tenant.id, email))
    holder = EmailHolder.of(claim)
    if holder is not None and holder.kind == "invitation":
        invitation = s.find(Invitation, holder.id)
        if invitation is not None and expire_lapsed(invitation, pool, s.now):
            return claim, [invitation]
    check_email_free(email, holder)
    return claim, []


@dataclass(frozen=True)
class Joining:
    email: str
    role: str
    display_name: str | None = None
    start_date: str | None = None
    end_date: str | None = None


def join(
    s: Session, tenant: Tenant, pool: SeatPool, claim: Claim | None, who: Joining
) -> tuple[Member, list[Aggregate]]:
    """A new member: its person, the email's claim, a members seat, and the
    admin roster when it is an admin."""
    person = s.find(Person, person_id(who.email)) or Person(email=who.email)
    member = Member(
        tenant_id=tenant.id,
        person_id=person.id,
        email=who.email,
        display_name=who.display_name,
        role=who.role,
        start_date=who.start_date,
        end_date=who.end_date,
    )
    pool.assign(str(member.id), s.now, who.end_date)
    if member.is_admin:
        tenant.appoint_admin(str(member.id))
    claim = take_email(claim, tenant.id, who.email, EmailHolder.member(member.id))
    return member, [person, claim, pool]


def add_member(cmd: AddMember, s: Session) -> Decided:
    check_dates(iso(cmd.start_date), iso(cmd.end_date))
    tenant = s.tenant(cmd.tenant_id)
    tenant.check_open()
    pool = members_pool(s, tenant)
    claim, freed = free_email(s, tenant, pool, cmd.email)
    joining = Joining(
        cmd.email, cmd.role, cmd.display_name, iso(cmd.start_date), iso(cmd.end_date)
    )
    member, touched = join(s, tenant, pool, claim, joining)
    return decided(member, *touched, *freed, tenant)


def update_member(cmd: UpdateMember, s: Session) -> Decided:
    # Dates given together are checked before anything is loaded: the shape
    # of a request (422) comes before its target (404).
    check_dates(iso(cmd.start_date), iso(cmd.end_date))
    tenant = s.tenant(cmd.tenant_id)
    member = member_of(s, tenant.id, cmd.member_id)
    fields = cmd.model_fields_set
    start = iso(cmd.start_date) if "start_date" in fields else member.start_date
    end = iso(cmd.end_date) if "end_date" in fields else member.end_date
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
    pool = members_pool(s, tenant)
    seat_follows_member(pool, member, s.now)
    return decided(member, tenant, pool)


def remove_member(cmd: RemoveMember, s: Session) -> Decided:
    tenant = s.tenant(cmd.tenant_id)
    member = member_of(s, tenant.id, cmd.member_id)
    member.check_present()
    if member.is_admin:
        tenant.dismiss_admin(str(member.id))
    member.remove()
    released: list[Aggregate] = []
    for slug in tenant.pools:
        pool = find_pool(s, tenant.id, slug)
        if pool is not None and pool.holds(str(member.id)):
            pool.release(str(member.id), s.now)
            released.append(pool)
    claim = s.find(Claim, email_claim_id(tenant.id, member.email))
    release_email(claim, EmailHolder.member(member.id))
    return decided(member, tenant, claim, *released)


def end_seat(cmd: EndSeat, s: Session) -> Decided:
    """Releases the seat of a member whose end date has passed, so history
    shows when it was freed. Extending the date takes it again."""
    tenant = s.tenant(cmd.tenant_id)
    member = member_of(s, cmd.tenant_id, cmd.member_id)
    pool = members_pool(s, tenant)
    key = str(member.id)
    if pool.holds(key) and not counts(pool.holders[key], s.now):
        pool.release(key, s.now)
    return decided(member, pool, tenant)
