"""The HTTP conventions: keys (401), not_found, positions on every write and
Idempotency-Key replay."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.e2e.conftest import KEY, Server
from tests.e2e.helpers import PROBLEM, head, problem, tenant, uniq

UNKNOWN = "00000000-0000-4000-8000-000000000000"


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-key", "Bearer", "Basic ZTJlOmtleQ==", KEY],
    ids=["no-key", "wrong-key", "bare-bearer", "basic-scheme", "no-scheme"],
)
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", f"/v1/tenants/{UNKNOWN}", None),
        ("POST", "/v1/tenants", {"name": "Acme"}),
        ("PUT", "/v1/tenants/not-a-uuid/seats/BAD", {"limit": -1}),  # 401 first
        ("GET", "/v1/no-such-route", None),
    ],
)
def test_requests_without_a_valid_key_are_unauthorized(
    srv: Server, authorization: str | None, method: str, path: str, body: object
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    with httpx.Client(base_url=srv.base_url, headers=headers) as anonymous:
        r = anonymous.request(method, path, json=body)
    problem(r, 401, "unauthorized")
    assert r.headers["www-authenticate"].lower().startswith("bearer")


def test_operations_endpoints_need_no_key(srv: Server) -> None:
    for path in ("/healthz", "/readyz", "/metrics"):
        assert httpx.get(srv.base_url + path).status_code == 200, path


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("GET", "", None),
        ("PATCH", "", {"name": "x"}),
        ("POST", "/licenses", {"feature": "expenses"}),
        ("DELETE", "/licenses/expenses", None),
        ("POST", "/handover", None),
        ("POST", "/suspend", None),
        ("POST", "/close", None),
        ("GET", "/tree", None),
        ("GET", "/usage", None),
        ("PUT", "/seats/jobs", {"limit": 1}),
        ("GET", "/seats/jobs", None),
        ("POST", "/seats/jobs/assignments", {"holder_id": "h"}),
        ("GET", "/seats/jobs/assignments", None),
    ],
)
def test_unknown_tenant_is_not_found(
    c: httpx.Client, method: str, suffix: str, body: dict | None
) -> None:
    r = c.request(method, f"/v1/tenants/{UNKNOWN}{suffix}", json=body)
    problem(r, 404, "not_found")


def test_an_unknown_parent_is_not_found(c: httpx.Client) -> None:
    parent = c.post("/v1/tenants", json={"name": uniq(), "parent_id": UNKNOWN})
    problem(parent, 404, "not_found")


def test_unknown_routes_and_methods_are_problem_documents(c: httpx.Client) -> None:
    problem(c.get("/v1/no-such-thing"), 404, "not_found")
    r = c.delete("/v1/tenants")
    assert r.status_code == 405
    assert r.headers["content-type"].startswith(PROBLEM)


def test_every_write_answers_an_increasing_position(c: httpx.Client) -> None:
    parent = tenant(c)
    pid = parent["tenant_id"]
    writes = [
        parent,
        c.post(f"/v1/tenants/{pid}/licenses", json={"feature": "multi_tenant"}),
        c.patch(f"/v1/tenants/{pid}", json={"logo_url": "https://x.example/l.png"}),
        c.put(f"/v1/tenants/{pid}/seats/jobs", json={"limit": 3}),
        c.post("/v1/tenants", json={"name": uniq(), "parent_id": pid}),
        c.post(f"/v1/tenants/{pid}/seats/jobs/assignments", json={"holder_id": "a"}),
        c.delete(f"/v1/tenants/{pid}/seats/jobs/assignments/a"),
        c.delete(f"/v1/tenants/{pid}/licenses/multi_tenant"),
        c.post(f"/v1/tenants/{pid}/suspend"),
        c.post(f"/v1/tenants/{pid}/close"),
    ]
    positions = []
    for w in writes:
        if isinstance(w, httpx.Response):
            assert w.is_success, w.text
            w = w.json()
        positions.append(w["position"])
    assert all(isinstance(p, int) for p in positions)
    assert positions == sorted(set(positions)), positions
    assert positions[-1] == head(c)


def test_an_idempotent_repeat_returns_the_first_response_and_records_nothing(
    c: httpx.Client,
) -> None:
    key = {"Idempotency-Key": f"create-{uuid.uuid4()}"}
    body = {"name": uniq(), "edition": "PROFESSIONAL"}
    first = c.post("/v1/tenants", json=body, headers=key)
    assert first.status_code == 201
    before = head(c)
    reordered = {"edition": "PROFESSIONAL", "name": body["name"]}  # same canonically
    again = c.post("/v1/tenants", json=reordered, headers=key)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["content-type"] == first.headers["content-type"]
    assert head(c) == before
    tid = first.json()["tenant_id"]
    seat_key = {"Idempotency-Key": f"seat-{uuid.uuid4()}"}
    c.put(f"/v1/tenants/{tid}/seats/jobs", json={"limit": 1}).raise_for_status()
    path = f"/v1/tenants/{tid}/seats/jobs/assignments"
    taken = c.post(path, json={"holder_id": "h1"}, headers=seat_key)
    assert taken.status_code == 201
    mid = head(c)
    assert c.post(path, json={"holder_id": "h1"}, headers=seat_key).json() == (
        taken.json()
    )
    assert head(c) == mid
    assert c.get(f"/v1/tenants/{tid}/seats/jobs").json()["used"] == 1


def test_an_idempotent_repeat_of_a_refusal_repeats_the_refusal(
    c: httpx.Client,
) -> None:
    tid = tenant(c)["tenant_id"]
    key = {"Idempotency-Key": f"handover-{uuid.uuid4()}"}
    first = c.post(f"/v1/tenants/{tid}/handover", headers=key)
    problem(first, 409, "admin_required")
    again = c.post(f"/v1/tenants/{tid}/handover", headers=key)
    assert (again.status_code, again.json()) == (409, first.json())
    assert again.headers["content-type"].startswith(PROBLEM)


def test_an_idempotency_key_reused_for_another_request_is_refused(
    c: httpx.Client,
) -> None:
    key = {"Idempotency-Key": f"reuse-{uuid.uuid4()}"}
    name = uniq()
    assert c.post("/v1/tenants", json={"name": name}, headers=key).status_code == 201
    before = head(c)
    other_body = c.post("/v1/tenants", json={"name": uniq()}, headers=key)
    problem(other_body, 422, "idempotency_key_reused")
    tid = c.post("/v1/tenants", json={"name": name}, headers=key).json()["tenant_id"]
    other_path = c.patch(f"/v1/tenants/{tid}", json={"name": name}, headers=key)
    problem(other_path, 422, "idempotency_key_reused")
    assert head(c) == before


def test_a_repeat_sent_right_after_the_response_returns_the_first_response(
    srv: Server, c: httpx.Client
) -> None:
    with srv.client() as other:
        for _ in range(150):
            key = {"Idempotency-Key": str(uuid.uuid4())}
            body = {"name": uniq()}
            first = c.post("/v1/tenants", json=body, headers=key)
            assert first.status_code == 201, first.text
            again = other.post("/v1/tenants", json=body, headers=key)
            assert (again.status_code, again.json()) == (201, first.json())
