"""Seat pools of sub-tenants drawing from their parent, and the usage
dashboard (a projection) with min_position / projection_behind."""

from __future__ import annotations

import time

import httpx

from tests.e2e.helpers import assign, head, multi, open_pool, pool_path, problem, tenant


def test_a_child_pool_draws_from_the_parent_pool(c: httpx.Client) -> None:
    parent = multi(c)["tenant_id"]
    child = tenant(c, parent_id=parent)["tenant_id"]
    open_pool(c, parent, 10)
    assign(c, parent, "p1")
    drawn = open_pool(c, child, 4)
    assert (drawn["limit"], drawn["available"]) == (4, 4)
    up = c.get(pool_path(parent)).json()
    assert (up["allocated"], up["used"], up["available"]) == (4, 1, 5)
    assert up["utilization"] == 0.5
    problem(c.put(pool_path(child), json={"limit": 10}), 409, "quota_exhausted")
    problem(c.put(pool_path(parent), json={"limit": 4}), 409, "limit_below_usage")
    assert open_pool(c, child, 9)["available"] == 9
    full = c.get(pool_path(parent)).json()
    assert (full["allocated"], full["available"], full["level"]) == (9, 0, "full")
    assign(c, child, "c1")
    assert c.get(pool_path(parent)).json()["used"] == 1  # only its own holder
    assert open_pool(c, child, 1)["limit"] == 1
    back = c.get(pool_path(parent)).json()
    assert (back["allocated"], back["available"]) == (1, 8)


def test_a_child_pool_needs_the_parent_multi_tenant_license(c: httpx.Client) -> None:
    parent = multi(c)["tenant_id"]
    child = tenant(c, parent_id=parent)["tenant_id"]
    open_pool(c, parent, 10)
    assert c.delete(f"/v1/tenants/{parent}/licenses/multi_tenant").status_code == 200
    problem(c.put(pool_path(child), json={"limit": 2}), 409, "license_required")
    assert c.get(pool_path(parent)).json()["allocated"] == 0


def test_a_child_pool_opened_before_the_parent_pool_draws_nothing(
    c: httpx.Client,
) -> None:
    parent = multi(c)["tenant_id"]
    child = tenant(c, parent_id=parent)["tenant_id"]
    open_pool(c, child, 50)
    open_pool(c, parent, 5)
    assert open_pool(c, child, 60)["limit"] == 60
    assert c.get(pool_path(parent)).json()["allocated"] == 0


def test_usage_dashboard_shows_every_pool_once_projected(c: httpx.Client) -> None:
    parent = multi(c)["tenant_id"]
    child = tenant(c, parent_id=parent)["tenant_id"]
    open_pool(c, parent, 10)
    c.put(pool_path(parent, "members"), json={"limit": 3}).raise_for_status()
    assign(c, parent, "a", "b")
    last = open_pool(c, child, 3)["position"]
    r = c.get(
        f"/v1/tenants/{parent}/usage", params={"min_position": last, "wait_ms": 5000}
    )
    assert r.status_code == 200, r.text
    usage = r.json()
    assert usage["tenant_id"] == parent and usage["position"] >= last
    assert [p["pool"] for p in usage["pools"]] == ["jobs", "members"]
    jobs, members = usage["pools"]
    assert c.get(pool_path(parent)).json() | {"position": 0} == jobs | {"position": 0}
    assert (jobs["used"], jobs["allocated"], jobs["available"]) == (2, 3, 5)
    assert (jobs["utilization"], jobs["level"], jobs["holders_count"]) == (0.5, "ok", 2)
    assert (members["limit"], members["used"], members["level"]) == (3, 0, "ok")
    empty = tenant(c)
    r = c.get(
        f"/v1/tenants/{empty['tenant_id']}/usage",
        params={"min_position": empty["position"], "wait_ms": 5000},
    )
    assert r.status_code == 200 and r.json()["pools"] == []


def test_a_projection_far_behind_min_position_is_projection_behind(
    c: httpx.Client,
) -> None:
    tid = tenant(c)["tenant_id"]
    target = head(c) + 1_000_000
    for path in ("/usage", "/tree", "/seats/jobs/assignments"):
        started = time.monotonic()
        r = c.get(
            f"/v1/tenants/{tid}{path}",
            params={"min_position": target, "wait_ms": 200},
        )
        assert time.monotonic() - started < 5
        body = problem(r, 409, "projection_behind")
        assert isinstance(body["position"], int) and body["position"] < target
