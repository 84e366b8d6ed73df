"""Story 4 of docs/design.md, over HTTP against a real `seatledger serve`; the
server is restarted on the same store with its clock 8 days ahead to let the
pending invitations lapse."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Server, server_env, start_server, stop_server
from tests.e2e.helpers import ok, pick, problem


@pytest.fixture
def env(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, str]:
    pg = request.getfixturevalue("pg_url") if backend == "postgres" else None
    return server_env(backend, tmp_path, pg)


@pytest.fixture
def serve(tmp_path: Path) -> Iterator:
    """start(env) -> a client of a new server on the store; stop_last() stops it.
    Whatever is still running is stopped at the end."""
    running: list[tuple[Server, httpx.Client]] = []

    def start(env: dict[str, str]) -> httpx.Client:
        server = start_server(env, tmp_path)
        running.append((server, server.client()))
        return running[-1][1]

    def stop_last() -> None:
        server, client = running.pop()
        client.close()
        stop_server(server)

    yield start, stop_last
    while running:
        stop_last()


def invite(c: httpx.Client, tid: str, email: str, **body: object) -> httpx.Response:
    body = {"email": email, "role": "viewer", **body}
    return c.post(f"/v1/tenants/{tid}/invitations", json=body)


def act(c: httpx.Client, inv: dict, verb: str, **body: object) -> httpx.Response:
    return c.post(f"/v1/invitations/{inv['invitation_id']}/{verb}", json=body or None)


def add(c: httpx.Client, tid: str, email: str, role: str) -> dict:
    body = {"email": email, "role": role}
    return ok(c.post(f"/v1/tenants/{tid}/members", json=body), 201)


def expiry(invitation: dict) -> datetime:
    return datetime.fromisoformat(invitation["expires_at"])


def test_clients_are_invited_to_a_capped_workspace(env, serve) -> None:
    """'Clients are invited to a workspace by email with a role. A workspace
    has a member cap (e.g. 5 including the owner). An invitee who already has
    an account is added at once; anyone else stays "pending" until they sign
    up. Members can be disconnected at any time.'"""
    start, stop_last = serve
    c = start(env)
    studio = {"name": f"Studio {uuid.uuid4().hex}"}
    wid = ok(c.post("/v1/tenants", json=studio), 201)["tenant_id"]
    cap = f"/v1/tenants/{wid}/seats/members"
    invitations = f"/v1/tenants/{wid}/invitations"
    occupancy = ("used", "reserved", "available")

    # "A workspace has a member cap (e.g. 5 including the owner)."
    ok(c.put(cap, json={"limit": 5}))
    owner = add(c, wid, "owner@studio.example", "admin")
    assert pick(ok(c.get(cap)), *occupancy) == (1, 0, 4)

    # "Clients are invited to a workspace by email with a role."
    # "An invitee who already has an account is added at once"
    other = ok(c.post("/v1/tenants", json={"name": "Kunde Alpha"}), 201)["tenant_id"]
    elsewhere = add(c, other, "anna@alpha.example", "user")
    known = ok(invite(c, wid, "Anna@Alpha.example", role="editor"), 201)
    assert pick(known, "status", "email") == ("accepted", "anna@alpha.example")
    anna = ok(c.get(f"/v1/tenants/{wid}/members/{known['member_id']}"))
    assert pick(anna, "tenant_id", "role", "status") == (wid, "editor", "active")
    assert ok(c.get(cap))["used"] == 2

    # "anyone else stays 'pending' until they sign up."
    guests = [
        ok(invite(c, wid, f"guest{n}@studio.example", expires_in_days=days), 201)
        for n, days in [(1, 7), (2, 7), (3, 2)]
    ]
    assert {pick(g, "status", "member_id") for g in guests} == {("pending", None)}
    pool = ok(c.get(cap))
    assert pick(pool, *occupancy, "level") == (2, 3, 0, "full")
    body = problem(invite(c, wid, "guest4@studio.example"), 409, "quota_exhausted")
    assert body["limit"] == 5
    for again in ("GUEST1@studio.example", owner["email"], "anna@alpha.example"):
        problem(invite(c, wid, again), 409, "already_member")
    signed_up = ok(act(c, guests[0], "accept", display_name="Gia"))
    assert signed_up["status"] == "accepted" and signed_up["member_id"]
    assert pick(ok(c.get(cap)), *occupancy) == (3, 2, 0)
    revoked = ok(c.delete(f"/v1/invitations/{guests[1]['invitation_id']}"))
    assert revoked["status"] == "revoked"
    assert pick(ok(c.get(cap)), *occupancy) == (3, 1, 1)
    problem(act(c, guests[1], "accept"), 409, "invalid_state")
    late = ok(invite(c, wid, "guest4@studio.example"), 201)
    resent = ok(act(c, guests[2], "resend"))
    assert expiry(resent) > expiry(guests[2])
    q = {"min_position": resent["position"], "wait_ms": 5000}
    listed = ok(c.get(invitations, params=q))["invitations"]
    assert {i["email"]: (i["status"], i["expires_at"]) for i in listed} == {
        "anna@alpha.example": ("accepted", known["expires_at"]),
        "guest1@studio.example": ("accepted", guests[0]["expires_at"]),
        "guest2@studio.example": ("revoked", guests[1]["expires_at"]),
        "guest3@studio.example": ("pending", resent["expires_at"]),
        "guest4@studio.example": ("pending", late["expires_at"]),
    }

    # "Members can be disconnected at any time."
    ok(c.put(f"/v1/tenants/{wid}/seats/expenses", json={"limit": 3}))
    expenses = f"/v1/tenants/{wid}/seats/expenses/assignments"
    ok(c.post(expenses, json={"holder_id": anna["member_id"]}), 201)
    gone = ok(c.delete(f"/v1/tenants/{wid}/members/{anna['member_id']}"))
    assert gone["status"] == "removed"
    assert ok(c.get(f"/v1/tenants/{wid}/seats/expenses"))["used"] == 0
    assert pick(ok(c.get(cap)), *occupancy) == (2, 2, 1)
    still = ok(c.get(f"/v1/tenants/{other}/members/{elsewhere['member_id']}"))
    assert still["status"] == "active"  # only this workspace let Anna go

    # Eight days later the pending invitations have lapsed.
    stop_last()
    c = start({**env, "SEATLEDGER_CLOCK_OFFSET_DAYS": "8"})
    body = problem(act(c, late, "accept"), 409, "invitation_expired")
    assert expiry(body) == expiry(late)
    problem(act(c, guests[2], "accept"), 409, "invitation_expired")
    q = {"min_position": gone["position"], "wait_ms": 5000}
    expired = ok(c.get(invitations, params={**q, "status": "expired"}))
    assert sorted(i["email"] for i in expired["invitations"]) == [
        "guest3@studio.example",
        "guest4@studio.example",
    ]
    pending = ok(c.get(invitations, params={**q, "status": "pending"}))
    assert pending["invitations"] == []
    assert ok(c.get(f"/v1/invitations/{late['invitation_id']}"))["status"] == "expired"
    assert pick(ok(c.get(cap)), *occupancy) == (2, 0, 3)
    dashboard = ok(c.get(f"/v1/tenants/{wid}/usage", params=q))["pools"]
    members = next(p for p in dashboard if p["pool"] == "members")
    assert pick(members, *occupancy, "level") == (2, 0, 3, "ok")
    again = ok(invite(c, wid, "guest4@studio.example"), 201)
    assert (again["status"], ok(c.get(cap))["reserved"]) == ("pending", 1)
