"""Story 1 of docs/design.md, over HTTP against a real `seatledger serve`."""

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


def contract(c: httpx.Client, tid: str, pool: str, limit: int) -> httpx.Response:
    return c.put(f"/v1/tenants/{tid}/seats/{pool}", json={"limit": limit})


def sub_tenant(c: httpx.Client, name: str, parent_id: str) -> httpx.Response:
    return c.post("/v1/tenants", json={"name": name, "parent_id": parent_id})


def dashboard(c: httpx.Client, tid: str, position: int) -> dict[str, dict]:
    q = {"min_position": position, "wait_ms": 5000}
    usage = ok(c.get(f"/v1/tenants/{tid}/usage", params=q))
    return {p["pool"]: p for p in usage["pools"]}


def test_a_partner_hands_parts_of_its_quotas_to_sub_tenants(c: httpx.Client) -> None:
    """'A partner (managing account) runs many sub-tenants — customers,
    branches, subsidiaries. It needs a booked `multi_tenant` license to do so.
    Its own contract has quotas (user accounts, job postings); it hands parts
    of them to sub-tenants. Assigning fails with a clear reason when the quota
    is used up or the license is missing. The dashboard shows how many seats
    remain.'"""
    partner = ok(c.post("/v1/tenants", json={"name": f"P {uuid.uuid4().hex}"}), 201)
    pid = partner["tenant_id"]
    licenses = f"/v1/tenants/{pid}/licenses"

    # "It needs a booked multi_tenant license to do so."
    body = problem(sub_tenant(c, "Kunde A", pid), 409, "license_required")
    assert body["feature"] == "multi_tenant" and "multi_tenant" in body["detail"]
    assert ok(c.get(f"/v1/tenants/{pid}"))["children"] == []
    booked = ok(c.post(licenses, json={"feature": "multi_tenant"}), 201)
    assert booked["licenses"] == ["multi_tenant"]

    # "A partner runs many sub-tenants — customers, branches, subsidiaries."
    subs = []
    for name in ("Kunde A", "Filiale Nord", "Tochter GmbH"):
        sub = ok(sub_tenant(c, name, pid), 201)
        assert pick(sub, "parent_id", "status") == (pid, "provisioning")
        subs.append(sub["tenant_id"])
    customer, branch, subsidiary = subs
    assert sorted(ok(c.get(f"/v1/tenants/{pid}"))["children"]) == sorted(subs)

    # "Its own contract has quotas (user accounts, job postings)"
    assert ok(contract(c, pid, "members", 20))["available"] == 20
    assert ok(contract(c, pid, "job_postings", 10))["available"] == 10

    # "it hands parts of them to sub-tenants"
    handed = ok(contract(c, customer, "members", 8))
    assert pick(handed, "limit", "used", "available") == (8, 0, 8)
    ok(contract(c, branch, "members", 5))
    ok(contract(c, customer, "job_postings", 4))
    users = ok(c.get(f"/v1/tenants/{pid}/seats/members"))
    assert pick(users, "limit", "used", "allocated", "available") == (20, 0, 13, 7)
    jobs = ok(c.get(f"/v1/tenants/{pid}/seats/job_postings"))
    assert pick(jobs, "allocated", "available") == (4, 6)

    # "Assigning fails with a clear reason when the quota is used up"
    body = problem(contract(c, subsidiary, "members", 8), 409, "quota_exhausted")
    assert body["available"] == 7
    assert "7" in body["detail"] and "members" in body["detail"]
    postings = f"/v1/tenants/{customer}/seats/job_postings/assignments"
    for n in range(4):
        ok(c.post(postings, json={"holder_id": f"posting-{n}"}), 201)
    late = c.post(postings, json={"holder_id": "posting-4"})
    body = problem(late, 409, "quota_exhausted")
    assert body["pool"] == "job_postings" and "4" in body["detail"]
    assert ok(contract(c, subsidiary, "members", 7))["limit"] == 7
    problem(contract(c, branch, "members", 6), 409, "quota_exhausted")

    # "... or the license is missing."
    ok(c.delete(f"{licenses}/multi_tenant"))
    body = problem(contract(c, subsidiary, "job_postings", 1), 409, "license_required")
    assert body["feature"] == "multi_tenant"
    problem(sub_tenant(c, "Kunde B", pid), 409, "license_required")
    last = ok(c.post(licenses, json={"feature": "multi_tenant"}), 201)

    # "The dashboard shows how many seats remain."
    mine = dashboard(c, pid, last["position"])
    assert pick(mine["members"], "allocated", "available", "level") == (20, 0, "full")
    assert pick(mine["job_postings"], "allocated", "available") == (4, 6)
    theirs = dashboard(c, customer, last["position"])
    assert pick(theirs["members"], "limit", "available") == (8, 8)
    assert pick(theirs["job_postings"], "used", "available", "level") == (4, 0, "full")
    q = {"min_position": last["position"], "wait_ms": 5000}
    tree = ok(c.get(f"/v1/tenants/{pid}/tree", params=q))["tenants"]
    limits = {t["tenant_id"]: {p["pool"]: p["limit"] for p in t["pools"]} for t in tree}
    assert limits == {
        pid: {"members": 20, "job_postings": 10},
        customer: {"members": 8, "job_postings": 4},
        branch: {"members": 5},
        subsidiary: {"members": 7},
    }
