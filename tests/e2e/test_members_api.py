"""Members and invitations over HTTP: the list and its filter, PATCH of role,
status and dates, removal, the members pool, and every error code of the
"Members and invitations" section of docs/http.md (invitation_expired needs a clock
that moved on: see test_story_4_workspace_invitations.py)."""

from __future__ import annotations

import uuid

import httpx

from tests.e2e.helpers import bad_fields, day, ok, pick, problem

UNKNOWN = "00000000-0000-4000-8000-000000000000"


def email(who: str = "user") -> str:
    return f"{who}-{uuid.uuid4().hex[:10]}@example.com"


def tenant(c: httpx.Client, members: int | None = None) -> str:
    tid = ok(c.post("/v1/tenants", json={"name": f"T {uuid.uuid4().hex}"}), 201)
    if members is not None:
        seats = f"/v1/tenants/{tid['tenant_id']}/seats/members"
        ok(c.put(seats, json={"limit": members}))
    return str(tid["tenant_id"])


def add(c: httpx.Client, tid: str, role: str = "user", **body: object) -> dict:
    body = {"email": email(role), "role": role, **body}
    return ok(c.post(f"/v1/tenants/{tid}/members", json=body), 201)


def invite(c: httpx.Client, tid: str, **body: object) -> httpx.Response:
    body = {"email": email("guest"), "role": "viewer", **body}
    return c.post(f"/v1/tenants/{tid}/invitations", json=body)


def act(c: httpx.Client, inv: dict | str, verb: str, **body: object) -> httpx.Response:
    """accept / resend / revoke an invitation (or its id)."""
    iid = inv if isinstance(inv, str) else inv["invitation_id"]
    if verb == "revoke":
        return c.delete(f"/v1/invitations/{iid}")
    return c.post(f"/v1/invitations/{iid}/{verb}", json=body or None)


def patch(c: httpx.Client, tid: str, mid: str, **body: object) -> httpx.Response:
    return c.patch(f"/v1/tenants/{tid}/members/{mid}", json=body)


def pool(c: httpx.Client, tid: str, name: str = "members") -> dict:
    return ok(c.get(f"/v1/tenants/{tid}/seats/{name}"))


def listed(c: httpx.Client, tid: str, what: str, position: int, **params) -> list:
    q = {"min_position": position, "wait_ms": 5000, **params}
    return list(ok(c.get(f"/v1/tenants/{tid}/{what}", params=q))[what])


def test_members_list_filters_by_status_and_judges_counts_as_active(c) -> None:
    tid = tenant(c)
    now, future = add(c, tid, "admin"), add(c, tid, start_date=day(30))
    ended = add(c, tid, start_date=day(-90), end_date=day(-1))
    passive, gone = add(c, tid), add(c, tid)
    ok(patch(c, tid, passive["member_id"], status="passive"))
    last = ok(c.delete(f"/v1/tenants/{tid}/members/{gone['member_id']}"))
    assert last["status"] == "removed"
    rows = listed(c, tid, "members", last["position"])
    assert {m["member_id"]: (m["status"], m["counts_as_active"]) for m in rows} == {
        now["member_id"]: ("active", True),
        future["member_id"]: ("active", True),
        ended["member_id"]: ("active", False),
        passive["member_id"]: ("passive", False),
        gone["member_id"]: ("removed", False),
    }
    for status, expected in [("passive", [passive]), ("removed", [gone])]:
        only = listed(c, tid, "members", last["position"], status=status)
        assert [m["member_id"] for m in only] == [e["member_id"] for e in expected]
    assert len(listed(c, tid, "members", last["position"], status="active")) == 3
    assert "status" in bad_fields(c.get(f"/v1/tenants/{tid}/members?status=gone"))


def test_patch_changes_role_status_and_dates_and_null_clears_the_end_date(c) -> None:
    tid = tenant(c)
    m = add(c, tid, display_name="Mia", start_date=day(-5), end_date=day(20))
    mid = m["member_id"]
    assert pick(m, "display_name", "start_date", "end_date") == (
        "Mia",
        day(-5),
        day(20),
    )
    assert ok(patch(c, tid, mid, role="editor"))["role"] == "editor"
    passive = ok(patch(c, tid, mid, status="passive"))
    assert pick(passive, "status", "counts_as_active") == ("passive", False)
    active = ok(patch(c, tid, mid, status="active"))
    assert pick(active, "status", "counts_as_active") == ("active", True)
    moved = ok(patch(c, tid, mid, start_date=day(10), end_date=day(40)))
    assert pick(moved, "start_date", "end_date") == (day(10), day(40))
    cleared = ok(patch(c, tid, mid, end_date=None))
    assert pick(cleared, "start_date", "end_date") == (day(10), None)
    assert ok(c.get(f"/v1/tenants/{tid}/members/{mid}"))["end_date"] is None
    [row] = listed(c, tid, "members", cleared["position"])
    assert pick(row, "role", "start_date", "end_date") == ("editor", day(10), None)


def test_bad_member_bodies_are_validation_errors(c) -> None:
    tid = tenant(c)
    path = f"/v1/tenants/{tid}/members"
    both = {"start_date": day(5), "end_date": day(4)}
    r = c.post(path, json={"email": email(), "role": "u", **both})
    assert "end_date" in bad_fields(r)
    for bad in ("a@localhost", "not-an-email", "@example.com"):
        assert "email" in bad_fields(c.post(path, json={"email": bad, "role": "u"}))
    assert "role" in bad_fields(c.post(path, json={"email": email(), "role": "A!"}))
    m = add(c, tid, start_date=day(5))
    assert "end_date" in bad_fields(patch(c, tid, m["member_id"], end_date=day(1)))
    assert "end_date" in bad_fields(patch(c, tid, m["member_id"], **both))
    assert "status" in bad_fields(patch(c, tid, m["member_id"], status="removed"))
    [row] = listed(c, tid, "members", m["position"])
    assert pick(row, "start_date", "end_date", "status") == (day(5), None, "active")


def test_contradictory_dates_are_422_before_the_member_is_looked_up(c) -> None:
    both = {"start_date": day(5), "end_date": day(4)}
    assert "end_date" in bad_fields(patch(c, tenant(c), UNKNOWN, **both))


def test_the_last_admin_of_an_active_tenant_stays(c) -> None:
    tid = tenant(c)
    path = f"/v1/tenants/{tid}"
    problem(c.post(f"{path}/handover"), 409, "admin_required")
    add(c, tid, "user")
    problem(c.post(f"{path}/handover"), 409, "admin_required")
    admin = add(c, tid, "admin")["member_id"]
    assert ok(c.post(f"{path}/handover"))["status"] == "active"
    problem(c.delete(f"{path}/members/{admin}"), 409, "last_admin")
    problem(patch(c, tid, admin, status="passive"), 409, "last_admin")
    problem(patch(c, tid, admin, role="user"), 409, "last_admin")
    assert ok(c.get(path))["admin_count"] == 1
    second = add(c, tid, "admin")["member_id"]
    assert ok(c.get(path))["admin_count"] == 2
    assert ok(patch(c, tid, admin, role="user"))["role"] == "user"
    problem(c.delete(f"{path}/members/{second}"), 409, "last_admin")
    problem(patch(c, tid, second, status="passive"), 409, "last_admin")
    assert ok(c.get(path))["admin_count"] == 1


def test_reactivating_or_clearing_an_end_date_needs_a_free_seat(c) -> None:
    tid = tenant(c, members=2)
    sleeper = add(c, tid)["member_id"]
    ended = add(c, tid, end_date=day(-1))["member_id"]
    ok(patch(c, tid, sleeper, status="passive"))
    add(c, tid)
    add(c, tid)
    assert pool(c, tid)["available"] == 0
    problem(patch(c, tid, sleeper, status="active"), 409, "quota_exhausted")
    problem(patch(c, tid, ended, end_date=None), 409, "quota_exhausted")
    problem(patch(c, tid, ended, end_date=day(3)), 409, "quota_exhausted")
    body = {"email": email(), "role": "u"}
    problem(c.post(f"/v1/tenants/{tid}/members", json=body), 409, "quota_exhausted")
    assert ok(c.get(f"/v1/tenants/{tid}/members/{sleeper}"))["status"] == "passive"
    assert ok(c.get(f"/v1/tenants/{tid}/members/{ended}"))["end_date"] == day(-1)
    ok(c.put(f"/v1/tenants/{tid}/seats/members", json={"limit": 4}))
    assert ok(patch(c, tid, sleeper, status="active"))["counts_as_active"] is True
    assert ok(patch(c, tid, ended, end_date=None))["counts_as_active"] is True
    assert pool(c, tid)["used"] == 4


def test_removing_a_member_frees_its_seats_in_every_pool(c) -> None:
    tid = tenant(c, members=3)
    mid = add(c, tid)["member_id"]
    for name in ("expenses", "travel"):
        ok(c.put(f"/v1/tenants/{tid}/seats/{name}", json={"limit": 2}))
        path = f"/v1/tenants/{tid}/seats/{name}/assignments"
        assert ok(c.post(path, json={"holder_id": mid}), 201)["used"] == 1
    gone = ok(c.delete(f"/v1/tenants/{tid}/members/{mid}"))
    assert pick(gone, "status", "counts_as_active") == ("removed", False)
    for name in ("members", "expenses", "travel"):
        state = pool(c, tid, name)
        assert pick(state, "used", "available") == (0, state["limit"]), name
    problem(c.delete(f"/v1/tenants/{tid}/members/{mid}"), 409, "invalid_state")
    problem(patch(c, tid, mid, role="x"), 409, "invalid_state")


def test_a_members_pool_opened_later_counts_members_and_invitations(c) -> None:
    tid = tenant(c)
    add(c, tid, "admin")
    add(c, tid)
    add(c, tid, end_date=day(-3))  # ended: holds no seat that counts
    ok(invite(c, tid), 201)
    seats = f"/v1/tenants/{tid}/seats/members"
    opened = ok(c.put(seats, json={"limit": 4}))
    assert pick(opened, "used", "reserved", "available") == (2, 1, 1)
    problem(c.put(seats, json={"limit": 2}), 409, "limit_below_usage")
    q = {"min_position": opened["position"], "wait_ms": 5000}
    [members] = ok(c.get(f"/v1/tenants/{tid}/usage", params=q))["pools"]
    assert pick(members, "used", "reserved", "available") == (2, 1, 1)


def test_the_members_pool_follows_the_members_only(c) -> None:
    tid = tenant(c, members=1)
    seats = f"/v1/tenants/{tid}/seats/members/assignments"
    mid = add(c, tid)["member_id"]
    assert c.delete(f"{seats}/{mid}").status_code >= 400
    body = {"email": email(), "role": "user"}
    problem(c.post(f"/v1/tenants/{tid}/members", json=body), 409, "quota_exhausted")
    other = tenant(c, members=1)
    path = f"/v1/tenants/{other}/seats/members/assignments"
    assert c.post(path, json={"holder_id": "ghost"}).status_code >= 400
    assert pool(c, other)["used"] == 0


def test_invitations_reserve_seats_and_refuse_duplicates(c) -> None:
    tid = tenant(c, members=3)
    owner = add(c, tid, "admin")
    first = ok(invite(c, tid, email="Pat.Doe+x@Example.COM", role="editor"), 201)
    assert pick(first, "status", "member_id") == ("pending", None)
    assert first["email"] == "pat.doe+x@example.com"
    assert pool(c, tid)["reserved"] == 1
    for again in ("pat.doe+x@example.com", owner["email"].upper()):
        problem(invite(c, tid, email=again), 409, "already_member")
    body = {"email": "PAT.doe+x@example.com", "role": "x"}
    problem(c.post(f"/v1/tenants/{tid}/members", json=body), 409, "already_member")
    second = ok(invite(c, tid), 201)
    assert pool(c, tid)["available"] == 0
    problem(invite(c, tid), 409, "quota_exhausted")
    assert ok(act(c, second, "revoke"))["status"] == "revoked"
    assert pool(c, tid)["reserved"] == 1
    for verb in ("accept", "resend", "revoke"):
        problem(act(c, second, verb), 409, "invalid_state")
    joined = ok(act(c, first, "accept", display_name="Pat"))
    assert joined["status"] == "accepted" and joined["member_id"]
    member = ok(c.get(f"/v1/tenants/{tid}/members/{joined['member_id']}"))
    assert pick(member, "display_name", "role") == ("Pat", "editor")
    after = pool(c, tid)
    assert pick(after, "used", "reserved") == (2, 0)
    problem(act(c, first, "accept"), 409, "invalid_state")
    rows = listed(c, tid, "invitations", after["position"], status="revoked")
    assert [i["invitation_id"] for i in rows] == [second["invitation_id"]]


def test_bad_invitations_are_validation_errors(c) -> None:
    tid = tenant(c)
    for days in (0, 91, -1, "7"):
        assert bad_fields(invite(c, tid, expires_in_days=days)) == {"expires_in_days"}
    assert bad_fields(invite(c, tid, email="a@localhost")) == {"email"}
    assert bad_fields(invite(c, tid, role=None)) == {"role"}
    path = f"/v1/tenants/{tid}/invitations"
    assert "status" in bad_fields(c.get(path, params={"status": "lapsed"}))
    sent = ok(invite(c, tid), 201)
    assert "expires_in_days" in bad_fields(act(c, sent, "resend", expires_in_days=91))
    [row] = listed(c, tid, "invitations", sent["position"])
    assert pick(row, "status", "expires_at") == ("pending", sent["expires_at"])


def test_unknown_members_and_invitations_are_not_found(c) -> None:
    tid = tenant(c)
    problem(c.get(f"/v1/tenants/{tid}/members/{UNKNOWN}"), 404, "not_found")
    problem(patch(c, tid, UNKNOWN, role="x"), 404, "not_found")
    problem(c.delete(f"/v1/tenants/{tid}/members/{UNKNOWN}"), 404, "not_found")
    problem(c.get(f"/v1/invitations/{UNKNOWN}"), 404, "not_found")
    for verb in ("accept", "resend", "revoke"):
        problem(act(c, UNKNOWN, verb), 404, "not_found")
    body = {"email": email(), "role": "x"}
    problem(c.post(f"/v1/tenants/{UNKNOWN}/members", json=body), 404, "not_found")
    problem(invite(c, UNKNOWN), 404, "not_found")
    problem(c.get(f"/v1/tenants/{UNKNOWN}/members"), 404, "not_found")
    elsewhere = add(c, tenant(c))["member_id"]
    problem(c.get(f"/v1/tenants/{tid}/members/{elsewhere}"), 404, "not_found")
    problem(patch(c, tid, elsewhere, role="x"), 404, "not_found")
