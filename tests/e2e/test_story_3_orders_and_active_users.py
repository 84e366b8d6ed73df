"""Story 3 of docs/design.md, over HTTP against a real `seatledger serve`."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.conftest import Server
from tests.e2e.helpers import day, ok, pick, problem


@pytest.fixture
def c(server: Server) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client


def add(c: httpx.Client, tid: str, name: str, **body: object) -> httpx.Response:
    body = {"email": f"{name}@alpha.example", "role": "user", **body}
    return c.post(f"/v1/tenants/{tid}/members", json=body)


def decide(
    c: httpx.Client, order: dict, verb: str, headers: dict | None = None, **body: object
) -> httpx.Response:
    path = f"/v1/license-orders/{order['order_id']}/{verb}"
    return c.post(path, json=body or None, headers=headers)


def issue(c: httpx.Client, role: str, tid: str) -> tuple[dict[str, str], str]:
    """Auth headers and id of a new key of `role` for tenant `tid`."""
    body = {"name": f"{role} key", "role": role, "tenant_id": tid}
    key = ok(c.post("/v1/api-keys", json=body), 201)
    return {"Authorization": f"Bearer {key['secret']}"}, key["key_id"]


def test_a_customer_orders_licenses_that_count_active_users(c: httpx.Client) -> None:
    """'A customer orders more licenses itself (an order: placed, then
    approved and fulfilled or rejected). Licenses count active users: a
    passive user or one past their end date does not count; a user whose
    start date is still ahead does. A report shows the active users, future
    starters included.'"""
    partner = ok(c.post("/v1/tenants", json={"name": f"P {uuid.uuid4().hex}"}), 201)
    pid = partner["tenant_id"]
    ok(c.post(f"/v1/tenants/{pid}/licenses", json={"feature": "multi_tenant"}), 201)
    ok(c.put(f"/v1/tenants/{pid}/seats/members", json={"limit": 20}))
    shop = {"name": "Kunde Alpha", "parent_id": pid}
    sid = ok(c.post("/v1/tenants", json=shop), 201)["tenant_id"]
    seats = f"/v1/tenants/{sid}/seats/members"
    partner_key, _ = issue(c, "partner", pid)
    customer, customer_key_id = issue(c, "tenant_admin", sid)
    ok(c.put(seats, json={"limit": 3}, headers=partner_key))
    dan = {"start_date": day(-200), "end_date": day(-10)}
    ids = {
        "anna": ok(add(c, sid, "anna", role="admin"), 201)["member_id"],
        "ben": ok(add(c, sid, "ben"), 201)["member_id"],
        "cleo": ok(add(c, sid, "cleo", start_date=day(30)), 201)["member_id"],
        "dan": ok(add(c, sid, "dan", **dan), 201)["member_id"],
    }
    names = {v: k for k, v in ids.items()}

    # "Licenses count active users: ... one past their end date does not
    # count; a user whose start date is still ahead does."
    pool = ok(c.get(seats))
    assert pick(pool, "limit", "used", "available", "level") == (3, 3, 0, "full")
    problem(add(c, sid, "eve"), 409, "quota_exhausted")  # Cleo holds a seat

    # "A customer orders more licenses itself (an order: placed, ..."
    orders = f"/v1/tenants/{sid}/license-orders"
    body = {"pool": "members", "quantity": 3, "note": "spring"}
    order = ok(c.post(orders, json=body, headers=customer), 201)
    assert pick(order, "status", "tenant_id", "quantity") == ("placed", sid, 3)
    assert order["placed_by"] == f"key:{customer_key_id}" and order["placed_at"]
    assert ok(c.get(seats))["limit"] == 3
    # (a customer cannot raise its own limits: it orders, an ancestor approves)
    problem(decide(c, order, "approve", headers=customer), 403, "forbidden")
    problem(c.put(seats, json={"limit": 6}, headers=customer), 403, "forbidden")

    # "... then approved and fulfilled ..."
    assert ok(decide(c, order, "approve", headers=partner_key))["status"] == "fulfilled"
    pool = ok(c.get(seats))
    assert pick(pool, "limit", "available") == (6, 3)  # at once, no waiting
    assert ok(c.get(f"/v1/tenants/{pid}/seats/members"))["allocated"] == 6
    ids["eve"] = ok(add(c, sid, "eve"), 201)["member_id"]
    names[ids["eve"]] = "eve"
    problem(decide(c, order, "approve"), 409, "invalid_state")

    # "... or rejected)."
    big = ok(c.post(orders, json={"pool": "members", "quantity": 50}), 201)
    reason = "exceeds the partner's contract"
    rejected = ok(decide(c, big, "reject", reason=reason, headers=partner_key))
    assert pick(rejected, "status", "reason") == ("rejected", reason)
    assert ok(c.get(seats))["limit"] == 6
    oops = ok(c.post(orders, json={"pool": "members", "quantity": 1}), 201)
    cancelled = ok(decide(c, oops, "cancel", headers=customer))
    assert cancelled["status"] == "cancelled"
    problem(decide(c, oops, "cancel"), 409, "invalid_state")
    q = {"min_position": cancelled["position"], "wait_ms": 5000}
    listed = ok(c.get(orders, params=q))["orders"]
    assert {o["order_id"]: o["status"] for o in listed} == {
        order["order_id"]: "fulfilled",
        big["order_id"]: "rejected",
        oops["order_id"]: "cancelled",
    }

    # "a passive user ... does not count"
    member = f"/v1/tenants/{sid}/members/{ids['ben']}"
    ben = ok(c.patch(member, json={"status": "passive"}))
    assert ben["counts_as_active"] is False
    assert pick(ok(c.get(seats)), "used", "available") == (3, 3)  # anna, cleo, eve
    q = {"min_position": ben["position"], "wait_ms": 5000}
    listed = ok(c.get(f"/v1/tenants/{sid}/members", params=q))["members"]
    counted = {names[m["member_id"]] for m in listed if m["counts_as_active"]}
    assert counted == {"anna", "cleo", "eve"}

    # "A report shows the active users, future starters included."
    path = f"/v1/tenants/{sid}/reports/active-users"
    today = ok(c.get(path, params=q, headers=customer))
    assert today["as_of"] == day(0)
    totals = ("active_users", "future_starters", "passive", "ended")
    assert pick(today, *totals) == (3, 1, 1, 1)
    reasons = {names[m["member_id"]]: m["reason"] for m in today["members"]}
    assert reasons == {
        "anna": "active",
        "ben": "passive",
        "cleo": "future_starter",
        "dan": "ended",
        "eve": "active",
    }
    assert {names[m["member_id"]] for m in today["members"] if m["counted"]} == counted
    past = ok(c.get(path, params={**q, "as_of": day(-20)}))
    assert pick(past, *totals) == (4, 1, 1, 0)  # Dan still worked then
    future = ok(c.get(path, params={**q, "as_of": day(40)}))
    assert pick(future, *totals) == (3, 0, 1, 1)  # Cleo has started by then
    sheet = c.get(path, params={**q, "format": "csv"})
    assert sheet.status_code == 200, sheet.text
    assert sheet.headers["content-type"].startswith("text/csv")
    header, *lines = sheet.text.splitlines()
    assert header.split(",")[:3] == ["member_id", "tenant_id", "email"]
    rows = list(csv.DictReader(io.StringIO(sheet.text)))
    assert len(rows) == len(lines) == 5
    assert {row["email"].split("@")[0]: row["reason"] for row in rows} == reasons

    # The partner's view: its own members plus every sub-tenant's.
    lena = {"email": "lena@partner.example", "role": "admin"}
    added = ok(c.post(f"/v1/tenants/{pid}/members", json=lena), 201)
    q["min_position"] = added["position"]
    partner_report = f"/v1/tenants/{pid}/reports/active-users"
    whole = ok(c.get(partner_report, params={**q, "include_subtenants": "true"}))
    assert (len(whole["members"]), whole["active_users"]) == (6, 4)
    alone = ok(c.get(partner_report, params=q))
    assert [m["email"] for m in alone["members"]] == ["lena@partner.example"]
