"""The Ledger under random command sequences and a moving clock, on both stores.

A hypothesis state machine drives the real use cases (seat pools with
hierarchical allocation, members, invitations, license orders, the cron jobs'
expiries) for a partner tenant holding `multi_tenant` and two sub-tenants,
moves a fake clock (the command bus's and the reads') forward by 0-10 days
at a time, and now and then restarts the service on the same store (pools and
tenants then come back from a snapshot plus the events after it). Each example
starts from an empty store of its own: a fresh SQLite file or PostgreSQL schema.

A `DomainError` is an allowed outcome, but it must record nothing; where
docs/http.md says what a command must answer (already_member, quota_exhausted,
limit_below_usage, license_required, last_admin, invitation_expired,
invalid_state ...), the answer is checked against the state before it. A
success reports the position of its last event and leaves every pool it
changed at the level its usage has.

After every step (`consistent`):

- capacity: every contracted pool has `used + reserved + allocated <= limit`
  now and on every later day up to 30 days ahead, and its use never grows as
  time passes (end dates pass, reservations lapse);
- hierarchy: a parent pool's allocations are exactly the limits of the
  children's pools that draw from it;
- the `members` pool, the tenant's admin roster and the email claims agree
  with the member and invitation aggregates; explicit seats agree with a
  model kept by the test (a removed member loses its seats in every pool);
- after `follower.catch_up()`, the usage, members, invitations, orders and
  tenant-tree projections equal what the aggregates say for the same `now`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, TypeVar
from uuid import UUID

import psycopg
import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from application import snapshots
from application.auth import Principal, Role
from application.outcome import Outcome
from application.views import InvitationView, MemberView
from domain.claim import Claim, email_claim_id
from domain.commands import (
    AcceptInvitation,
    AddMember,
    ApproveLicenseOrder,
    AssignSeat,
    BookLicense,
    CancelLicense,
    CancelLicenseOrder,
    Command,
    CreateTenant,
    EndSeat,
    ExpireInvitation,
    HandOverTenant,
    InviteMember,
    PlaceLicenseOrder,
    RejectLicenseOrder,
    ReleaseSeat,
    RemoveMember,
    ResendInvitation,
    RevokeInvitation,
    SetSeatLimit,
    UpdateMember,
)
from domain.common import MULTI_TENANT, instant
from domain.errors import ConcurrencyConflict, DomainError
from domain.invitation import Invitation
from domain.license_order import LicenseOrder
from domain.member import ACTIVE, ADMIN, REMOVED, Member
from domain.seat_pool import MEMBERS, SeatPool, counts, pool_id
from domain.tenant import Tenant
from infra.bootstrap import Container, bootstrap
from projections.members import invitations_of, members_of
from projections.orders import orders_of
from projections.tenants import subtree
from projections.usage import pools_of
from tests.conftest import settings_for
from tests.integration.property_support import FakeClock, StoreView
from tests.support import result_id

START = datetime(2030, 1, 15, 9, 30, 0, 250_000, tzinfo=UTC)
SEAT_POOLS = ("seats", "jobs")  # explicit assignments
POOLS = (MEMBERS, *SEAT_POOLS)
HOLDERS = ("h1", "h2", "h3")
# Compared case-insensitively: the second is the first one again.
EMAILS = ("ann@example.com", "Ann@Example.COM", "bob@example.com", "cyd@example.com")
ROLES = ("user", ADMIN)
KEEP = "keep"
HORIZON_DAYS = 30
SNAPSHOT_EVERY = 5
# The acting key of the machine's commands.
PROPERTY_KEY = Principal("property", Role.OPERATOR)

V = TypeVar("V")


def answered(outcome: Outcome, cls: type[V]) -> V:
    """The view a command answered with, of the kind it must be."""
    assert isinstance(outcome.view, cls), outcome.view
    return outcome.view


tenant_index = st.integers(min_value=0, max_value=2)  # 0: partner, 1-2: children
pick = st.integers(min_value=0, max_value=10_000)  # an index into a list, mod len
limits = st.integers(min_value=0, max_value=12)
day_offsets = st.none() | st.integers(min_value=-10, max_value=20)
change = st.just(KEEP) | day_offsets


class LedgerMachine(RuleBasedStateMachine):
    backend: ClassVar[str] = "sqlite"
    base_dir: ClassVar[Path] = Path(tempfile.gettempdir())
    pg_url: ClassVar[str | None] = None

    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(dir=self.base_dir))
        self.settings = settings_for(self.backend, self.tmp, self.pg_url)
        self.clock = FakeClock(START)
        self.container: Container = self.start()
        self.view = StoreView(self.container)
        self.restarts = 0
        self.tenants: list[UUID] = []
        self.members: list[tuple[UUID, UUID]] = []  # (tenant, member)
        self.invitations: list[tuple[UUID, UUID]] = []  # (tenant, invitation)
        self.orders: list[tuple[UUID, UUID]] = []  # (tenant, order)
        self.seats: dict[tuple[UUID, str], set[str]] = {}  # explicit holders
        self.persons: set[str] = set()  # emails of everyone who ever joined
        self.fresh = 0
        self.error: str | None = None  # the code of the last refused command
        self.outcomes: Counter[str] = Counter()  # what ran, for debugging

    def start(self) -> Container:
        container = bootstrap(self.settings, configure_logging=False)
        self.clock.install(container)
        return container

    def teardown(self) -> None:
        try:
            self.container.close()
        finally:
            url = self.settings.database_url
            if url is not None:
                schema = self.settings.postgres_schema
                with psycopg.connect(url, autocommit=True) as conn:
                    conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            shutil.rmtree(self.tmp, ignore_errors=True)

    # -- plumbing -------------------------------------------------------------

    def now(self) -> datetime:
        return self.clock.now()

    def day(self, offset: int | None) -> date | None:
        return None if offset is None else self.now().date() + timedelta(offset)

    def run(self, command: Command) -> Outcome | None:
        """Runs a command; a DomainError is an outcome and records nothing."""
        name = type(command).__name__
        self.error = None
        try:
            outcome = self.container.bus.handle(PROPERTY_KEY, command)
        except ConcurrencyConflict:  # one writer: never expected
            raise
        except DomainError as e:
            self.error = e.code
            self.outcomes[f"{name}: {e.code}"] += 1
            assert not self.view.refresh(), f"{name} refused but recorded"
            return None
        self.outcomes[f"{name}: ok"] += 1
        recorded = self.view.refresh()
        assert outcome.position == self.view.position, "position of the last event"
        assert outcome.changed == bool(recorded), "changed iff it recorded"
        # A pool the command changed records its level as of the command.
        now = self.now()
        for aggregate_id in {n.originator_id for n in recorded}:
            pool = self.view.get(object, aggregate_id)
            if isinstance(pool, SeatPool) and pool.contracted:
                assert pool.level == pool.usage(now).level.value, pool.pool
        return outcome

    def pool(self, tenant_id: UUID, slug: str) -> SeatPool | None:
        return self.view.get(SeatPool, pool_id(tenant_id, slug))

    def tenant(self, tenant_id: UUID) -> Tenant:
        return self.view.load(Tenant, tenant_id)

    def member(self, member_id: UUID) -> Member:
        return self.view.load(Member, member_id)

    def invitation(self, invitation_id: UUID) -> Invitation:
        return self.view.load(Invitation, invitation_id)

    def order(self, order_id: UUID) -> LicenseOrder:
        return self.view.load(LicenseOrder, order_id)

    def available(self, tenant_id: UUID, slug: str) -> int | None:
        """Free seats now, None when the pool is not contracted."""
        found = self.pool(tenant_id, slug)
        if found is None or not found.contracted:
            return None
        return found.usage(self.now()).available

    def limit_refusal(self, tenant_id: UUID, slug: str, limit: int) -> str | None:
        """What docs/http.md says setting this limit now must answer (None: 200)."""
        now = self.now()
        pool = self.pool(tenant_id, slug)
        parent_id = self.tenant(tenant_id).parent_id
        if pool is not None and pool.contracted:
            parent_pool_id = pool.parent_pool_id  # fixed when it was contracted
        elif parent_id is not None:
            parent_pool_id = pool_id(parent_id, slug)
        else:
            parent_pool_id = None
        parent = self.view.get(SeatPool, parent_pool_id) if parent_pool_id else None
        draws = parent is not None and parent.contracted
        # State conflicts (license_required) come before capacity.
        if draws and not self.tenant(parent.tenant_id).holds(MULTI_TENANT):
            return "license_required"
        if pool is not None and limit < pool.usage(now).in_use:
            return "limit_below_usage"
        if draws:
            given = parent.allocations.get(str(tenant_id), 0)
            if limit - given > parent.usage(now).available:
                return "quota_exhausted"
        return None

    def check_quota_refusal(self, free_before: int | None) -> None:
        """A members seat is refused only when the members pool had none free."""
        if self.error == "quota_exhausted":
            assert free_before is not None and free_before <= 0, free_before

    def created(self, command: CreateTenant) -> UUID:
        outcome = self.run(command)
        assert outcome is not None, self.error
        return result_id(outcome)

    def tenant_at(self, index: int) -> UUID:
        return self.tenants[index]

    def joined(self, tenant_id: UUID, member_id: UUID, email: str) -> None:
        self.members.append((tenant_id, member_id))
        self.persons.add(email.lower())

    def email_taken(self, tenant_id: UUID, email: str) -> bool:
        """A present member or an open invitation of the tenant has it."""
        email, now = email.lower(), self.now()
        for t, member_id in self.members:
            if t == tenant_id:
                member = self.member(member_id)
                if member.status != REMOVED and member.email == email:
                    return True
        for t, invitation_id in self.invitations:
            if t == tenant_id:
                inv = self.invitation(invitation_id)
                if inv.is_open(now) and inv.email == email:
                    return True
        return False

    def sole_admin(self, tenant_id: UUID, member_id: UUID) -> bool:
        tenant = self.tenant(tenant_id)
        return tenant.status == "active" and tenant.admin_ids == [str(member_id)]

    def holders_of(self, tenant_id: UUID) -> list[str]:
        """Holder ids to pick from: fixed ones and the tenant's members."""
        return [*HOLDERS, *(str(m) for t, m in self.members if t == tenant_id)]

    # -- setup ----------------------------------------------------------------

    @initialize(
        parent_limits=st.tuples(*(st.none() | limits for _ in POOLS)),
        child_limits=st.tuples(
            *(st.none() | st.integers(0, 6) for _ in range(2 * len(POOLS)))
        ),
        handed_over=st.booleans(),
    )
    def setup(
        self,
        parent_limits: tuple[int | None, ...],
        child_limits: tuple[int | None, ...],
        handed_over: bool,
    ) -> None:
        partner = self.created(CreateTenant(name="Partner"))
        assert self.run(BookLicense(tenant_id=partner, feature=MULTI_TENANT))
        self.tenants.append(partner)
        for name in ("Customer One", "Customer Two"):
            self.tenants.append(
                self.created(CreateTenant(name=name, parent_id=partner))
            )
        wanted = zip(POOLS * 3, (*parent_limits, *child_limits), strict=True)
        for n, (slug, limit) in enumerate(wanted):
            if limit is not None:
                tenant_id = self.tenants[n // len(POOLS)]
                self.run(SetSeatLimit(tenant_id=tenant_id, pool=slug, limit=limit))
        if handed_over:
            # An admin, so that the partner can be active (last_admin applies).
            email = "root@example.net"
            out = self.run(AddMember(tenant_id=partner, email=email, role=ADMIN))
            if out is not None:
                self.joined(partner, result_id(out), email)
                self.run(HandOverTenant(tenant_id=partner))
        self.view.refresh()

    # -- time and restarts ------------------------------------------------------

    @rule(
        days=st.integers(min_value=0, max_value=10),
        seconds=st.sampled_from([0, 1, 3600, 43_200]),
    )
    def advance_clock(self, days: int, seconds: int) -> None:
        self.clock.current += timedelta(days=days, seconds=seconds)

    @precondition(lambda self: self.restarts < 2)
    @rule()
    def restart(self) -> None:
        """A new process on the same store: no cache, pools and tenants from
        their latest snapshot plus the events after it, the rest replayed."""
        self.container.close()
        self.container = self.start()
        self.restarts += 1
        rebuilt = StoreView(self.container)
        rebuilt.refresh()
        assert rebuilt.position == self.view.position
        assert rebuilt.digest() == self.view.digest()
        self.view = rebuilt

    # -- seat pools -----------------------------------------------------------

    @rule(
        t=tenant_index,
        slug=st.sampled_from(POOLS),
        limit=limits,
        threshold=st.none() | st.sampled_from([0.5, 0.9]),
    )
    def set_limit(self, t: int, slug: str, limit: int, threshold: float | None) -> None:
        tenant_id = self.tenant_at(t)
        found = self.pool(tenant_id, slug)
        kept = found.warning_threshold if found is not None else 0.8
        cmd = SetSeatLimit(
            tenant_id=tenant_id, pool=slug, limit=limit, warning_threshold=threshold
        )
        expected = self.limit_refusal(tenant_id, slug, limit)
        out = self.run(cmd)
        assert self.error == expected
        if out is not None:
            pool = self.pool(tenant_id, slug)
            assert pool is not None and pool.limit == limit
            # An omitted threshold keeps the current one.
            assert pool.warning_threshold == (threshold or kept)

    @rule(
        t=tenant_index,
        slug=st.sampled_from(SEAT_POOLS),
        times=st.integers(min_value=1, max_value=12),
    )
    def churn(self, t: int, slug: str, times: int) -> None:
        """Many events on one pool, so that it passes its snapshot interval."""
        tenant_id = self.tenant_at(t)
        free = self.available(tenant_id, slug)
        if free is None or free <= 0:
            return
        for _ in range(times):
            cmd = AssignSeat(tenant_id=tenant_id, pool=slug, holder_id="churn")
            assert self.run(cmd) is not None
            cmd = ReleaseSeat(tenant_id=tenant_id, pool=slug, holder_id="churn")
            assert self.run(cmd) is not None

    @rule(t=tenant_index, slug=st.sampled_from(SEAT_POOLS), i=pick)
    def assign_seat(self, t: int, slug: str, i: int) -> None:
        tenant_id = self.tenant_at(t)
        candidates = self.holders_of(tenant_id)
        holder = candidates[i % len(candidates)]
        free = self.available(tenant_id, slug)
        held = self.seats.setdefault((tenant_id, slug), set())
        cmd = AssignSeat(tenant_id=tenant_id, pool=slug, holder_id=holder)
        done = self.run(cmd) is not None
        if free is not None and free > 0 and holder not in held:
            assert done, f"a pool with free seats refused: {self.error}"
        if done:
            assert free is not None and free > 0 and holder not in held
            held.add(holder)

    @rule(
        t=tenant_index, slug=st.sampled_from(SEAT_POOLS), i=pick, held_one=st.booleans()
    )
    def release_seat(self, t: int, slug: str, i: int, held_one: bool) -> None:
        tenant_id = self.tenant_at(t)
        held = self.seats.setdefault((tenant_id, slug), set())
        candidates = sorted(held) if held and held_one else self.holders_of(tenant_id)
        holder = candidates[i % len(candidates)]
        cmd = ReleaseSeat(tenant_id=tenant_id, pool=slug, holder_id=holder)
        done = self.run(cmd) is not None
        assert done == (holder in held)
        held.discard(holder)

    # -- members ----------------------------------------------------------------

    @rule(
        t=tenant_index,
        email=st.sampled_from(EMAILS),
        role=st.sampled_from(ROLES),
        start=day_offsets,
        end=day_offsets,
        name=st.none() | st.just(" Ann  A. "),
    )
    def add_member(
        self,
        t: int,
        email: str,
        role: str,
        start: int | None,
        end: int | None,
        name: str | None,
    ) -> None:
        tenant_id = self.tenant_at(t)
        cmd = AddMember(
            tenant_id=tenant_id,
            email=email,
            role=role,
            display_name=name,
            start_date=self.day(start),
            end_date=self.day(end),
        )
        free = self.available(tenant_id, MEMBERS)
        if cmd.start_date and cmd.end_date and cmd.end_date < cmd.start_date:
            expected = "validation_error"
        elif self.email_taken(tenant_id, email):
            expected = "already_member"
        elif counts(cmd.end_date and cmd.end_date.isoformat(), self.now()) and (
            free is not None and free <= 0
        ):
            expected = "quota_exhausted"
        else:
            expected = None
        out = self.run(cmd)
        assert self.error == expected
        if out is not None:
            # The answer and the stored member alike.
            view = answered(out, MemberView)
            member = self.member(view.member_id)
            for joined in (
                (view.status, view.role, view.email),
                (member.status, member.role, member.email),
            ):
                assert joined == (ACTIVE, role, email.lower())
            self.joined(tenant_id, member.id, email)

    @precondition(lambda self: self.members)
    @rule(
        i=pick,
        role=st.none() | st.sampled_from(ROLES),
        status=st.none() | st.sampled_from(["active", "passive"]),
        start=change,
        end=change,
    )
    def update_member(
        self,
        i: int,
        role: str | None,
        status: str | None,
        start: int | str | None,
        end: int | str | None,
    ) -> None:
        """Role changes, deactivation/reactivation, new or cleared dates."""
        tenant_id, member_id = self.members[i % len(self.members)]
        fields: dict[str, Any] = {}
        if role is not None:
            fields["role"] = role
        if status is not None:
            fields["status"] = status
        if start != KEEP:
            fields["start_date"] = self.day(start)  # type: ignore[arg-type]
        if end != KEEP:
            fields["end_date"] = self.day(end)  # type: ignore[arg-type]
        cmd = UpdateMember(tenant_id=tenant_id, member_id=member_id, **fields)
        free = self.available(tenant_id, MEMBERS)
        demotes = status == "passive" or role not in (None, ADMIN)
        last = self.sole_admin(tenant_id, member_id) and demotes
        out = self.run(cmd)
        self.check_quota_refusal(free)
        if last:
            assert self.error in ("last_admin", "validation_error")
        else:
            assert self.error != "last_admin"
        if out is not None:
            view, member = answered(out, MemberView), self.member(member_id)
            if role is not None:
                assert view.role == member.role == role
            if status is not None:
                assert view.status == member.status == status

    @precondition(lambda self: self.members)
    @rule(i=pick)
    def remove_member(self, i: int) -> None:
        tenant_id, member_id = self.members[i % len(self.members)]
        cmd = RemoveMember(tenant_id=tenant_id, member_id=member_id)
        if self.member(member_id).status == REMOVED:
            expected: str | None = "invalid_state"
        elif self.sole_admin(tenant_id, member_id):
            expected = "last_admin"
        else:
            expected = None
        done = self.run(cmd) is not None
        assert self.error == expected
        if done:
            for slug in SEAT_POOLS:
                self.seats.get((tenant_id, slug), set()).discard(str(member_id))

    @precondition(lambda self: self.members)
    @rule(i=pick)
    def end_seat(self, i: int) -> None:
        """The cron job's explicit record of an ended member's freed seat."""
        tenant_id, member_id = self.members[i % len(self.members)]
        self.run(EndSeat(tenant_id=tenant_id, member_id=member_id))

    @rule(book=st.booleans())
    def partner_license(self, book: bool) -> None:
        """Children draw from the partner's pools only while it holds the
        multi_tenant license (booking it again is a no-op)."""
        partner = self.tenants[0]
        holds = self.tenant(partner).holds(MULTI_TENANT)
        if book:
            self.run(BookLicense(tenant_id=partner, feature=MULTI_TENANT))
            assert self.error is None
        else:
            self.run(CancelLicense(tenant_id=partner, feature=MULTI_TENANT))
            assert self.error == (None if holds else "not_found")

    @rule(t=tenant_index)
    def hand_over(self, t: int) -> None:
        tenant = self.tenant(self.tenant_at(t))
        if tenant.status != "provisioning":
            expected: str | None = "invalid_state"
        elif not tenant.admin_ids:
            expected = "admin_required"
        else:
            expected = None
        self.run(HandOverTenant(tenant_id=tenant.id))
        assert self.error == expected

    # -- invitations ------------------------------------------------------------

    @rule(
        t=tenant_index,
        email=st.none() | st.sampled_from(EMAILS),
        role=st.sampled_from(ROLES),
        days=st.integers(min_value=1, max_value=10),
    )
    def invite(self, t: int, email: str | None, role: str, days: int) -> None:
        tenant_id = self.tenant_at(t)
        if email is None:  # someone the service has never seen
            self.fresh += 1
            email = f"new{self.fresh}@example.org"
        known = email.lower() in self.persons
        cmd = InviteMember(
            tenant_id=tenant_id, email=email, role=role, expires_in_days=days
        )
        free = self.available(tenant_id, MEMBERS)
        if self.email_taken(tenant_id, email):
            expected = "already_member"
        elif free is not None and free <= 0:  # a member's or a reserved seat
            expected = "quota_exhausted"
        else:
            expected = None
        out = self.run(cmd)
        assert self.error == expected
        if out is None:
            return
        view = answered(out, InvitationView)
        invitation = self.invitation(view.invitation_id)
        self.invitations.append((tenant_id, invitation.id))
        assert view.member_id == invitation.member_id
        if known:  # joins at once
            assert view.status == invitation.status == "accepted"
            assert invitation.member_id is not None
            self.joined(tenant_id, invitation.member_id, email)
        else:
            assert view.status == invitation.status == "pending"

    @precondition(lambda self: self.invitations)
    @rule(i=pick, name=st.none() | st.just("Invited One"))
    def accept(self, i: int, name: str | None) -> None:
        tenant_id, invitation_id = self.invitations[i % len(self.invitations)]
        invitation = self.invitation(invitation_id)
        if invitation.is_open(self.now()):
            # Always possible: the reserved seat becomes the member's seat.
            expected = None
        elif invitation.is_lapsed(self.now()) or invitation.status == "expired":
            # After expires_at, whether or not cron recorded the expiry.
            expected = "invitation_expired"
        else:
            expected = "invalid_state"
        cmd = AcceptInvitation(invitation_id=invitation_id, display_name=name)
        out = self.run(cmd)
        assert self.error == expected
        if out is not None:
            invitation = self.invitation(invitation_id)
            assert answered(out, InvitationView).status == "accepted"
            assert invitation.status == "accepted"
            assert invitation.member_id is not None
            self.joined(tenant_id, invitation.member_id, invitation.email)

    @precondition(lambda self: self.invitations)
    @rule(i=pick, days=st.integers(min_value=1, max_value=10))
    def resend(self, i: int, days: int) -> None:
        _, invitation_id = self.invitations[i % len(self.invitations)]
        # Only an open invitation (pending, not lapsed): it keeps its seat.
        is_open = self.invitation(invitation_id).is_open(self.now())
        expected = None if is_open else "invalid_state"
        cmd = ResendInvitation(invitation_id=invitation_id, expires_in_days=days)
        out = self.run(cmd)
        assert self.error == expected
        if out is not None:
            expires_at = instant(self.now() + timedelta(days=days))
            assert self.invitation(invitation_id).expires_at == expires_at
            view = answered(out, InvitationView)
            assert view.expires_at == datetime.fromisoformat(expires_at)

    @precondition(lambda self: self.invitations)
    @rule(i=pick)
    def revoke(self, i: int) -> None:
        _, invitation_id = self.invitations[i % len(self.invitations)]
        is_open = self.invitation(invitation_id).is_open(self.now())
        cmd = RevokeInvitation(invitation_id=invitation_id)
        self.run(cmd)
        assert self.error == (None if is_open else "invalid_state")

    @precondition(lambda self: self.invitations)
    @rule(i=pick)
    def expire(self, i: int) -> None:
        """The cron job's explicit record of a lapsed invitation."""
        _, invitation_id = self.invitations[i % len(self.invitations)]
        self.run(ExpireInvitation(invitation_id=invitation_id))

    # -- license orders -----------------------------------------------------------

    @rule(
        t=tenant_index,
        slug=st.sampled_from(POOLS),
        quantity=st.integers(min_value=1, max_value=6),
    )
    def place_order(self, t: int, slug: str, quantity: int) -> None:
        tenant_id = self.tenant_at(t)
        cmd = PlaceLicenseOrder(tenant_id=tenant_id, pool=slug, quantity=quantity)
        out = self.run(cmd)
        assert out is not None
        self.orders.append((tenant_id, result_id(out)))

    @precondition(lambda self: self.orders)
    @rule(i=pick)
    def approve_order(self, i: int) -> None:
        tenant_id, order_id = self.orders[i % len(self.orders)]
        order = self.order(order_id)
        found = self.pool(tenant_id, order.pool)
        before = found.limit if found is not None and found.limit is not None else 0
        # Exactly as setting the limit to current + quantity would.
        if order.status == "placed":
            limit = before + order.quantity
            expected = self.limit_refusal(tenant_id, order.pool, limit)
        else:
            expected = "invalid_state"
        cmd = ApproveLicenseOrder(order_id=order_id)
        done = self.run(cmd) is not None
        assert self.error == expected
        after = self.order(order_id)
        if done:
            assert after.status == "fulfilled"
            pool = self.pool(tenant_id, order.pool)
            assert pool is not None and pool.limit == before + order.quantity
        else:  # on any error the order stays as it was
            assert after.status == order.status

    @precondition(lambda self: self.orders)
    @rule(i=pick)
    def reject_order(self, i: int) -> None:
        _, order_id = self.orders[i % len(self.orders)]
        placed = self.order(order_id).status == "placed"
        cmd = RejectLicenseOrder(order_id=order_id, reason="not now")
        self.run(cmd)
        assert self.error == (None if placed else "invalid_state")

    @precondition(lambda self: self.orders)
    @rule(i=pick)
    def cancel_order(self, i: int) -> None:
        _, order_id = self.orders[i % len(self.orders)]
        placed = self.order(order_id).status == "placed"
        self.run(CancelLicenseOrder(order_id=order_id))
        assert self.error == (None if placed else "invalid_state")

    # -- invariants -------------------------------------------------------------

    @invariant()
    def consistent(self) -> None:
        if not self.tenants:
            return
        tenants = {t: self.tenant(t) for t in self.tenants}
        pools = {t: self.pools_of(tenant) for t, tenant in tenants.items()}
        self.check_capacity(pools)
        self.check_allocations(tenants, pools)
        self.check_explicit_seats(pools)
        self.check_members(tenants, pools)
        self.check_projections(pools)

    def pools_of(self, tenant: Tenant) -> dict[str, SeatPool]:
        found: dict[str, SeatPool] = {}
        for slug in POOLS:
            pool = self.pool(tenant.id, slug)
            if pool is not None:
                # The tenant knows its pools, so a removal can empty them all.
                assert slug in tenant.pools, (tenant.id, slug)
                found[slug] = pool
        return found

    def check_capacity(self, pools: dict[UUID, dict[str, SeatPool]]) -> None:
        now = self.now()
        for of_tenant in pools.values():
            for slug, pool in of_tenant.items():
                if not pool.contracted:
                    continue
                previous = None
                for days in range(HORIZON_DAYS + 1):
                    usage = pool.usage(now + timedelta(days=days))
                    assert usage.in_use <= usage.limit, (slug, days, usage)
                    if previous is not None:
                        assert usage.in_use <= previous, ("grew with time", slug)
                    previous = usage.in_use

    def check_allocations(
        self, tenants: dict[UUID, Tenant], pools: dict[UUID, dict[str, SeatPool]]
    ) -> None:
        expected: dict[UUID, dict[str, int]] = {}
        for tenant_id, of_tenant in pools.items():
            parent_id = tenants[tenant_id].parent_id
            for slug, pool in of_tenant.items():
                if pool.contracted and pool.parent_pool_id is not None:
                    assert parent_id is not None
                    assert pool.parent_pool_id == pool_id(parent_id, slug)
                    if pool.limit:
                        drawn = expected.setdefault(pool.parent_pool_id, {})
                        drawn[str(tenant_id)] = pool.limit
        for of_tenant in pools.values():
            for pool in of_tenant.values():
                drawn = expected.get(pool.id, {})
                assert pool.allocations == drawn, pool.pool
                assert pool.usage(self.now()).allocated == sum(drawn.values())

    def check_explicit_seats(self, pools: dict[UUID, dict[str, SeatPool]]) -> None:
        for tenant_id, of_tenant in pools.items():
            for slug in SEAT_POOLS:
                pool = of_tenant.get(slug)
                holders = set(pool.holders) if pool is not None else set()
                assert holders == self.seats.get((tenant_id, slug), set()), slug

    def check_members(
        self, tenants: dict[UUID, Tenant], pools: dict[UUID, dict[str, SeatPool]]
    ) -> None:
        now = self.now()
        for tenant_id, tenant in tenants.items():
            members = [self.member(m) for t, m in self.members if t == tenant_id]
            invitations = [
                self.invitation(i) for t, i in self.invitations if t == tenant_id
            ]
            pool = pools[tenant_id].get(MEMBERS)
            holders = dict(pool.holders) if pool is not None else {}
            reservations = dict(pool.reservations) if pool is not None else {}
            # Every active member who counts today holds a seat, with its end
            # date; one whose end date passed may have been freed by cron.
            active = {str(m.id): m.end_date for m in members if m.status == ACTIVE}
            for member_id, end in holders.items():
                assert active.get(member_id, "none") == end, "seat of a non-member"
            for member_id, end in active.items():
                if counts(end, now):
                    assert member_id in holders, "an active member holds no seat"
            for inv in invitations:
                key = str(inv.id)
                if inv.is_open(now):
                    assert reservations.get(key) == inv.expires_at, key
                elif inv.status != "pending":
                    assert key not in reservations, (key, inv.status)
            admins = {str(m.id) for m in members if m.is_admin}
            assert set(tenant.admin_ids) == admins, "admin roster"
            # One email, one present member or open invitation, holding its claim.
            owners: dict[str, str] = {}
            for m in members:
                if m.status != REMOVED:
                    assert m.email not in owners, f"{m.email} twice"
                    owners[m.email] = f"member:{m.id}"
            for inv in invitations:
                if inv.is_open(now):
                    assert inv.email not in owners, f"{inv.email} twice"
                    owners[inv.email] = f"invitation:{inv.id}"
            for email, owner in owners.items():
                claim = self.view.get(Claim, email_claim_id(tenant_id, email))
                assert claim is not None and claim.owner == owner, email

    def check_projections(self, pools: dict[UUID, dict[str, SeatPool]]) -> None:
        now = self.now()
        follower = self.container.follower
        follower.catch_up()
        assert follower.position() == self.view.position == self.container.log.head()
        with self.container.db.read() as tx:
            tree = {
                r["tenant_id"]: (r["parent_id"], r["status"])
                for r in subtree(tx, str(self.tenants[0]))
            }
            expected_tree = {}
            for tenant_id in self.tenants:
                tenant = self.tenant(tenant_id)
                parent = str(tenant.parent_id) if tenant.parent_id else None
                expected_tree[str(tenant_id)] = (parent, tenant.status)
            assert tree == expected_tree, "tenant tree projection"
            for tenant_id, of_tenant in pools.items():
                key = str(tenant_id)
                expected_pools = {}
                for slug, pool in of_tenant.items():
                    if pool.contracted:
                        u = pool.usage(now)
                        expected_pools[slug] = (
                            u.limit,
                            u.used,
                            u.reserved,
                            u.allocated,
                        )
                projected_pools = {
                    r["pool"]: (r["limit"], r["used"], r["reserved"], r["allocated"])
                    for r in pools_of(tx, key, now)
                }
                assert projected_pools == expected_pools, "usage projection"

                expected_members = {}
                for t, member_id in self.members:
                    if t == tenant_id:
                        m = self.member(member_id)
                        expected_members[str(m.id)] = (
                            m.email,
                            m.display_name,
                            m.role,
                            m.status,
                            m.start_date,
                            m.end_date,
                        )
                projected_members = {
                    r["member_id"]: (
                        r["email"],
                        r["display_name"],
                        r["role"],
                        r["status"],
                        r["start_date"],
                        r["end_date"],
                    )
                    for r in members_of(tx, [key], None, None, 1000)
                }
                assert projected_members == expected_members, "members projection"

                expected_invitations = {}
                for t, invitation_id in self.invitations:
                    if t == tenant_id:
                        inv = self.invitation(invitation_id)
                        status = "expired" if inv.is_lapsed(now) else inv.status
                        member = str(inv.member_id) if inv.member_id else None
                        expected_invitations[str(inv.id)] = (
                            status,
                            inv.expires_at,
                            member,
                        )
                projected_invitations = {
                    r["invitation_id"]: (r["status"], r["expires_at"], r["member_id"])
                    for r in invitations_of(tx, key, None, now, None, 1000)
                }
                assert projected_invitations == expected_invitations, "invitations"

                expected_orders = {}
                for t, order_id in self.orders:
                    if t == tenant_id:
                        o = self.order(order_id)
                        expected_orders[str(o.id)] = (
                            o.status,
                            o.pool,
                            o.quantity,
                            o.reason,
                        )
                projected_orders = {
                    r["order_id"]: (r["status"], r["pool"], r["quantity"], r["reason"])
                    for r in orders_of(tx, key, None, None, 1000)
                }
                assert projected_orders == expected_orders, "orders projection"


EXAMPLES = {"sqlite": 15, "postgres": 8}
# A deeper hunt (e.g. nightly): SEATLEDGER_TEST_PROPERTY_SCALE=50 runs 50x more.
SCALE = int(os.environ.get("SEATLEDGER_TEST_PROPERTY_SCALE", "1"))


def test_ledger_under_random_commands(
    backend: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pg = request.getfixturevalue("pg_url") if backend == "postgres" else None
    # Snapshots every few events instead of every 50, so that a restart
    # rebuilds pools and tenants from a snapshot plus the events after it.
    every = dict.fromkeys(snapshots.INTERVALS, SNAPSHOT_EVERY)
    monkeypatch.setattr(snapshots, "INTERVALS", every)
    machine = type(
        f"LedgerMachine_{backend}",
        (LedgerMachine,),
        {"backend": backend, "base_dir": tmp_path, "pg_url": pg},
    )
    run_state_machine_as_test(
        machine,
        settings=hsettings(
            max_examples=EXAMPLES[backend] * SCALE,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[
                HealthCheck.function_scoped_fixture,
                HealthCheck.too_slow,
            ],
        ),
    )
