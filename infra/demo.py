"""The five stories of docs/design.md as demo data, loaded through the command bus
with deterministic command ids: a second run is answered from the commands'
receipts and records nothing new."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID, uuid5

from rich.console import Console
from rich.table import Table

from application.auth import Principal, Role
from application.envelopes import CommandEnvelope, CommandGateway
from domain.common import level_for
from infra.bootstrap import Container
from projections import members as members_view
from projections import usage as usage_view

DEMO = UUID("9a0f3c52-1d7e-4c8b-a2f1-5e6d7c8b9a01")
OPERATOR = Principal(key_id="demo", role=Role.OPERATOR)


class Loader:
    def __init__(self, gateway: CommandGateway, today: date) -> None:
        self.gateway = gateway
        self.today = today
        self.outcomes: list[tuple[str, int, dict[str, Any]]] = []
        self.notes: dict[int, list[str]] = {}  # what each story shows, by number

    def run(self, step: str, type_: str, **payload: Any) -> dict[str, Any]:
        envelope = CommandEnvelope(
            command_id=uuid5(DEMO, step), type=type_, payload=payload
        )
        answer = self.gateway.answer(OPERATOR, envelope, f"demo:{step}")
        self.outcomes.append((step, answer.status, answer.body))
        return answer.body.get("result") or answer.body.get("error") or {}

    def note(self, story: int, text: str) -> None:
        self.notes.setdefault(story, []).append(text)

    def day(self, offset: int) -> str:
        return (self.today + timedelta(days=offset)).isoformat()

    def load(self) -> dict[str, str]:
        """Returns the demo tenants by name."""
        partner = self.partner_with_subtenants()
        custom = self.new_subtenant_with_admin(partner)
        shop = self.customer_orders_and_active_users(partner)
        workspace = self.workspace_invitations()
        company = self.module_seats(partner)
        return {
            "Nordwind Partner": partner,
            "Nordwind Süd (CUSTOM)": custom,
            "Kunde Alpha": shop,
            "Studio Workspace": workspace,
            "Beta Logistik": company,
        }

    def partner_with_subtenants(self) -> str:
        """Story 1: a partner with the multi_tenant license hands out quotas."""
        p = self.run(
            "s1-partner", "CreateTenant", name="Nordwind Partner", edition="ENTERPRISE"
        )["tenant_id"]
        early = self.run(
            "s1-sub-refused", "CreateTenant", name="Too Early", parent_id=p
        )
        self.note(1, f"a sub-tenant before the license: refused ({early.get('code')})")
        self.run("s1-license", "BookLicense", tenant_id=p, feature="multi_tenant")
        self.run("s1-users", "SetSeatLimit", tenant_id=p, pool="members", limit=40)
        self.run("s1-jobs", "SetSeatLimit", tenant_id=p, pool="job_postings", limit=10)
        self.run("s1-expenses", "SetSeatLimit", tenant_id=p, pool="expenses", limit=20)
        self.run(
            "s1-admin",
            "AddMember",
            tenant_id=p,
            email="lena@nordwind.example",
            role="admin",
            display_name="Lena Nord",
        )
        self.run("s1-handover", "HandOverTenant", tenant_id=p)
        self.note(1, "contract: 40 users, 10 job postings, 20 expenses seats")
        return str(p)

    def new_subtenant_with_admin(self, partner: str) -> str:
        """Story 2: a CUSTOM sub-tenant needs an admin before handover."""
        c = self.run(
            "s2-create",
            "CreateTenant",
            name="Nordwind Süd",
            parent_id=partner,
            type="CUSTOM",
            edition="BASIC",
            charset="ISO-8859-1",
        )["tenant_id"]
        early = self.run("s2-handover-refused", "HandOverTenant", tenant_id=c)
        self.note(2, f"handover without an admin: refused ({early.get('code')})")
        self.run(
            "s2-admin",
            "AddMember",
            tenant_id=c,
            email="ops@sued.example",
            role="admin",
            display_name="Süd Ops",
        )
        done = self.run("s2-handover", "HandOverTenant", tenant_id=c)
        self.note(2, f"with admin ops@sued.example: {done.get('status')}")
        return str(c)

    def customer_orders_and_active_users(self, partner: str) -> str:
        """Story 3: orders; active users count future starters, not passive
        or ended members."""
        s = self.run(
            "s3-create",
            "CreateTenant",
            name="Kunde Alpha",
            parent_id=partner,
            edition="PROFESSIONAL",
        )["tenant_id"]
        self.run("s3-seats", "SetSeatLimit", tenant_id=s, pool="members", limit=3)
        people = [
            ("s3-anna", "anna@alpha.example", "admin", None, None),
            ("s3-ben", "ben@alpha.example", "user", None, None),
            ("s3-cleo", "cleo@alpha.example", "user", self.day(30), None),
            ("s3-dan", "dan@alpha.example", "user", self.day(-200), self.day(-10)),
        ]
        ids = {}
        for step, email, role, start, end in people:
            ids[step] = self.run(
                step,
                "AddMember",
                tenant_id=s,
                email=email,
                role=role,
                start_date=start,
                end_date=end,
            )["member_id"]
        # Anna, Ben and Cleo (a future starter) count; Dan ended: 3 of 3.
        full = self.run(
            "s3-full", "AddMember", tenant_id=s, email="eve@alpha.example", role="user"
        )
        self.note(
            3,
            f"eve refused ({full.get('code')}): anna, ben and cleo (who starts in"
            " 30 days) take the 3 seats; dan's end date passed, he does not count",
        )
        self.run(
            "s3-ben-passive",
            "UpdateMember",
            tenant_id=s,
            member_id=ids["s3-ben"],
            status="passive",
        )
        order = self.run(
            "s3-order",
            "PlaceLicenseOrder",
            tenant_id=s,
            pool="members",
            quantity=3,
            note="Team grows in spring",
        )["order_id"]
        approved = self.run("s3-approve", "ApproveLicenseOrder", order_id=order)
        self.note(
            3, f"ben set passive; an order of 3 seats is {approved.get('status')}:"
        )
        self.note(3, "the members limit grows from 3 to 6 at once")
        small = self.run(
            "s3-order-2", "PlaceLicenseOrder", tenant_id=s, pool="members", quantity=50
        )["order_id"]
        rejected = self.run(
            "s3-reject",
            "RejectLicenseOrder",
            order_id=small,
            reason="exceeds the partner's contract",
        )
        self.note(3, f"an order of 50 seats is {rejected.get('status')}: no change")
        self.run(
            "s3-eve", "AddMember", tenant_id=s, email="eve@alpha.example", role="user"
        )
        self.run("s3-handover", "HandOverTenant", tenant_id=s)
        return str(s)

    def workspace_invitations(self) -> str:
        """Story 4: a workspace of 5 including the owner; a known person joins
        at once, others stay pending; members can be disconnected."""
        w = self.run("s4-create", "CreateTenant", name="Studio Workspace")["tenant_id"]
        self.run("s4-cap", "SetSeatLimit", tenant_id=w, pool="members", limit=5)
        self.run(
            "s4-owner",
            "AddMember",
            tenant_id=w,
            email="owner@studio.example",
            role="admin",
        )
        known = self.run(
            "s4-known",
            "InviteMember",
            tenant_id=w,
            email="anna@alpha.example",
            role="editor",
        )
        self.note(4, f"anna (known from Kunde Alpha) is {known.get('status')} at once")
        for i in range(1, 4):
            self.run(
                f"s4-invite-{i}",
                "InviteMember",
                tenant_id=w,
                email=f"guest{i}@studio.example",
                role="viewer",
            )
        over = self.run(
            "s4-over-cap",
            "InviteMember",
            tenant_id=w,
            email="guest4@studio.example",
            role="viewer",
        )
        self.note(4, "3 guests invited stay pending, each holding a seat: 5 of 5")
        self.note(4, f"a 4th guest is refused ({over.get('code')})")
        self.run("s4-handover", "HandOverTenant", tenant_id=w)
        return str(w)

    def assign(self, step: str, tenant: str, holder: str) -> dict[str, Any]:
        return self.run(
            step, "AssignSeat", tenant_id=tenant, pool="expenses", holder_id=holder
        )

    def module_seats(self, partner: str) -> str:
        """Story 5: expenses seats up to the contract; 80 % warns, 100 % stops
        until the partner raises the contract, at once."""
        b = self.run(
            "s5-create", "CreateTenant", name="Beta Logistik", parent_id=partner
        )["tenant_id"]
        self.run("s5-contract", "SetSeatLimit", tenant_id=b, pool="expenses", limit=5)
        for i in range(1, 6):
            pool = self.assign(f"s5-assign-{i}", b, f"employee-{i}")
            if i >= 4:  # 4 of 5 is the 80 % warning, 5 of 5 is full
                self.note(5, f"employee-{i} added: {seats(pool)}")
        refused = self.assign("s5-assign-6", b, "employee-6")
        self.note(5, f"employee-6 refused ({refused.get('code')}): adding is paused")
        # The step ids and payloads of before, so an older demo store replays.
        raised = self.run(
            "s5-raise", "SetSeatLimit", tenant_id=b, pool="expenses", limit=8
        )
        self.note(5, f"the partner raises the contract to 8: {seats(raised)}")
        self.assign("s5-assign-6-again", b, "employee-6")
        pool = self.assign("s5-assign-7", b, "employee-7")
        self.note(5, f"employee-6 and employee-7 added: {seats(pool)}")
        # One step per month: a run next month schedules that month's raise.
        first = (self.today.replace(day=15) + timedelta(days=31)).replace(day=1)
        planned = self.run(
            f"s5-plan-{first:%Y-%m}",
            "SetSeatLimit",
            tenant_id=b,
            pool="expenses",
            limit=10,
            effective_at=f"{first.isoformat()}T00:00:00+00:00",
        )
        self.note(5, f"and agrees 10 from {first}: {planned.get('status')}")
        return str(b)


def seats(pool: dict[str, Any]) -> str:
    """'4 of 5 seats taken (80 %): warning', from a pool representation."""
    in_use = pool["used"] + pool["reserved"] + pool["allocated"]
    share = round(pool["utilization"] * 100)
    return f"{in_use} of {pool['limit']} seats taken ({share} %): {pool['level']}"


def print_report(
    c: Container, tenants: dict[str, str], outcomes: list[Any], console: Console
) -> None:
    now = c.clock()
    refused = [
        (step, body["error"]["code"]) for step, _, body in outcomes if not body["ok"]
    ]
    if refused:
        console.print(
            "Refused, as the stories expect: "
            + ", ".join(f"{step} ({code})" for step, code in refused)
        )
    usage = Table(title="Usage dashboards")
    for column in (
        "tenant",
        "pool",
        "limit",
        "used",
        "reserved",
        "allocated",
        "available",
        "level",
    ):
        usage.add_column(
            column, justify="left" if column in ("tenant", "pool") else "right"
        )
    people = Table(title=f"Active users on {now.date()} (future starters count)")
    for column in (
        "tenant",
        "email",
        "role",
        "status",
        "start",
        "end",
        "counted",
        "reason",
    ):
        people.add_column(column)
    with c.db.read() as tx:
        for name, tenant_id in tenants.items():
            for p in usage_view.pools_of(tx, tenant_id, now):
                in_use = p["used"] + p["reserved"] + p["allocated"]
                limit = p["limit"]
                level = level_for(
                    1.0 if limit == 0 else in_use / limit, p["warning_threshold"]
                ).value
                usage.add_row(
                    name,
                    p["pool"],
                    str(limit),
                    str(p["used"]),
                    str(p["reserved"]),
                    str(p["allocated"]),
                    str(limit - in_use),
                    level,
                )
            for m in members_view.members_of(tx, [tenant_id], None, None, 1000):
                if m["status"] == "removed":
                    continue
                counted, reason = members_view.judge(m, now.date())
                people.add_row(
                    name,
                    m["email"],
                    m["role"],
                    m["status"],
                    m["start_date"] or "",
                    m["end_date"] or "",
                    "yes" if counted else "no",
                    reason,
                )
    console.print(usage)
    console.print(people)
