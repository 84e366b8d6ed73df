"""Tenant lifecycle over HTTP: handover, suspend, close, and what a closed
tenant refuses."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.helpers import multi, problem, tenant, uniq


def test_handover_of_a_tenant_without_admins_is_admin_required(
    c: httpx.Client,
) -> None:
    tid = tenant(c)["tenant_id"]
    problem(c.post(f"/v1/tenants/{tid}/handover"), 409, "admin_required")
    assert c.get(f"/v1/tenants/{tid}").json()["status"] == "provisioning"


def test_suspend_then_close_and_suspending_twice_is_invalid_state(
    c: httpx.Client,
) -> None:
    tid = tenant(c)["tenant_id"]
    suspended = c.post(f"/v1/tenants/{tid}/suspend")
    assert suspended.status_code == 200
    assert suspended.json()["status"] == "suspended"
    problem(c.post(f"/v1/tenants/{tid}/suspend"), 409, "invalid_state")
    problem(c.post(f"/v1/tenants/{tid}/handover"), 409, "invalid_state")
    closed = c.post(f"/v1/tenants/{tid}/close")
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"
    assert closed.json()["position"] > suspended.json()["position"]


CLOSED_CHANGES = [
    ("PATCH", "", {"name": "Another name"}),
    ("PATCH", "", {"logo_url": "https://cdn.example/x.png"}),
    ("PATCH", "", {"edition": "ENTERPRISE"}),
    ("POST", "/licenses", {"feature": "expenses"}),
    ("DELETE", "/licenses/multi_tenant", None),
    ("POST", "/suspend", None),
    ("POST", "/close", None),
    ("POST", "/handover", None),
    ("PUT", "/seats/jobs", {"limit": 3}),
]


@pytest.mark.parametrize(("method", "suffix", "body"), CLOSED_CHANGES)
def test_changes_to_a_closed_tenant_are_invalid_state(
    c: httpx.Client, method: str, suffix: str, body: dict | None
) -> None:
    tid = multi(c)["tenant_id"]
    assert c.post(f"/v1/tenants/{tid}/close").status_code == 200
    r = c.request(method, f"/v1/tenants/{tid}{suffix}", json=body)
    problem(r, 409, "invalid_state")
    child = c.post("/v1/tenants", json={"name": uniq(), "parent_id": tid})
    problem(child, 409, "invalid_state")
    assert c.get(f"/v1/tenants/{tid}").json()["status"] == "closed"


def test_assigning_a_seat_in_a_closed_tenant_is_invalid_state(
    c: httpx.Client,
) -> None:
    tid = tenant(c)["tenant_id"]
    path = f"/v1/tenants/{tid}/seats/jobs/assignments"
    assert c.put(f"/v1/tenants/{tid}/seats/jobs", json={"limit": 3}).is_success
    assert c.post(path, json={"holder_id": "h1"}).status_code == 201
    assert c.post(f"/v1/tenants/{tid}/close").status_code == 200
    problem(c.post(path, json={"holder_id": "h2"}), 409, "invalid_state")
    assert c.get(f"/v1/tenants/{tid}/seats/jobs").json()["used"] == 1
