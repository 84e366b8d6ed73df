"""Story 5 of docs/design.md, over HTTP against a real `seatledger serve`."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.conftest import Server
from tests.e2e.helpers import ok, pick, problem


@pytest.fixture
def c(server: Server) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client


def indicator(c: httpx.Client, tid: str, position: int) -> tuple:
    q = {"min_position": position, "wait_ms": 5000}
    [pool] = ok(c.get(f"/v1/tenants/{tid}/usage", params=q))["pools"]
    assert pool["pool"] == "expenses"
    return pool["used"], pool["available"], pool["level"]


def issue(c: httpx.Client, role: str, tid: str) -> dict[str, str]:
    """Auth headers of a new key of `role` for tenant `tid`."""
    body = {"name": f"{role} key", "role": role, "tenant_id": tid}
    secret = ok(c.post("/v1/api-keys", json=body), 201)["secret"]
    return {"Authorization": f"Bearer {secret}"}


def test_a_company_adds_people_to_a_module_up_to_its_contract(c: httpx.Client) -> None:
    """'A partner-managed company adds and removes people to a module (e.g.
    expenses) up to the seats in its contract. The usage indicator shows used
    vs available; at 80% a warning appears; at 100% adding is paused until
    seats are freed or the partner raises the contract — which takes effect
    at once.'"""
    partner = {"name": f"Partner {uuid.uuid4().hex}"}
    pid = ok(c.post("/v1/tenants", json=partner), 201)["tenant_id"]
    ok(c.post(f"/v1/tenants/{pid}/licenses", json={"feature": "multi_tenant"}), 201)
    ok(c.put(f"/v1/tenants/{pid}/seats/expenses", json={"limit": 20}))
    company = {"name": "Beta Logistik", "parent_id": pid}
    cid = ok(c.post("/v1/tenants", json=company), 201)["tenant_id"]
    module = f"/v1/tenants/{cid}/seats/expenses"
    partner_key, company_key = issue(c, "partner", pid), issue(c, "tenant_admin", cid)
    contract = ok(c.put(module, json={"limit": 5}, headers=partner_key))
    assert pick(contract, "limit", "warning_threshold", "level") == (5, 0.8, "ok")
    people = []
    for i in range(7):
        person = {"email": f"p{i}@beta.example", "role": "user"}
        added = ok(c.post(f"/v1/tenants/{cid}/members", json=person), 201)
        people.append(added["member_id"])
    seats = f"{module}/assignments"
    usage = ("used", "available", "utilization", "level")

    def take(person: str) -> httpx.Response:  # the company's own key adds
        return c.post(seats, json={"holder_id": person}, headers=company_key)

    def free(person: str) -> dict:
        return ok(c.delete(f"{seats}/{person}", headers=company_key))

    # "A partner-managed company adds and removes people to a module (e.g.
    # expenses) up to the seats in its contract."
    for person in people[:3]:
        last = ok(take(person), 201)
    assert pick(last, *usage) == (3, 2, 0.6, "ok")
    freed = free(people[2])
    assert pick(freed, "used", "available") == (2, 3)
    last = ok(take(people[2]), 201)
    problem(take(people[2]), 409, "already_assigned")

    # "The usage indicator shows used vs available"
    assert indicator(c, cid, last["position"]) == (3, 2, "ok")
    q = {"min_position": last["position"], "wait_ms": 5000}
    holders = ok(c.get(seats, params=q))["holders"]
    assert sorted(h["holder_id"] for h in holders) == sorted(people[:3])

    # "at 80% a warning appears"
    warned = ok(take(people[3]), 201)
    assert pick(warned, *usage) == (4, 1, 0.8, "warning")
    assert indicator(c, cid, warned["position"]) == (4, 1, "warning")

    # "at 100% adding is paused"
    full = ok(take(people[4]), 201)
    assert pick(full, *usage) == (5, 0, 1.0, "full")
    body = problem(take(people[5]), 409, "quota_exhausted")
    assert pick(body, "pool", "available") == ("expenses", 0)
    assert indicator(c, cid, full["position"]) == (5, 0, "full")

    # "until seats are freed"
    freed = free(people[0])
    assert pick(freed, *usage) == (4, 1, 0.8, "warning")
    assert ok(take(people[5]), 201)["level"] == "full"
    problem(take(people[6]), 409, "quota_exhausted")

    # "or the partner raises the contract — which takes effect at once."
    problem(c.put(module, json={"limit": 8}, headers=company_key), 403, "forbidden")
    raised = ok(c.put(module, json={"limit": 8}, headers=partner_key))
    assert pick(raised, "limit", *usage) == (8, 5, 3, 0.625, "ok")
    added = ok(take(people[6]), 201)  # no waiting
    assert pick(added, *usage) == (6, 2, 0.75, "ok")
    mother = ok(c.get(f"/v1/tenants/{pid}/seats/expenses"))
    assert pick(mother, "allocated", "available") == (8, 12)
    assert indicator(c, cid, added["position"]) == (6, 2, "ok")
    problem(c.put(module, json={"limit": 5}), 409, "limit_below_usage")
