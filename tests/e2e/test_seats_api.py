"""Seat pools over HTTP: limits, levels, thresholds, assignments, holders and
the seat conflicts (quota_exhausted, already_assigned, limit_below_usage)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import httpx

from tests.e2e.helpers import assign, head, open_pool, pool_path, problem, tenant


def test_opening_a_pool_answers_its_representation(c: httpx.Client) -> None:
    tid = tenant(c)["tenant_id"]
    opened = open_pool(c, tid, 10)
    assert opened == {
        "tenant_id": tid,
        "pool": "jobs",
        "limit": 10,
        "used": 0,
        "reserved": 0,
        "allocated": 0,
        "available": 10,
        "utilization": 0.0,
        "level": "ok",
        "warning_threshold": 0.8,
        "holders_count": 0,
        "scheduled": [],  # no contract change waiting
        "position": opened["position"],
    }
    got = c.get(pool_path(tid)).json()  # position: the pool's latest event
    assert got | {"position": 0} == opened | {"position": 0}
    assert 0 < got["position"] <= opened["position"] == head(c)


def test_level_is_warning_from_80_percent_and_full_at_100(c: httpx.Client) -> None:
    tid = tenant(c)["tenant_id"]
    open_pool(c, tid, 5)
    seen = [assign(c, tid, f"h{i}") for i in range(5)]
    levels = [(p["used"], p["utilization"], p["level"]) for p in seen]
    assert levels == [
        (1, 0.2, "ok"),
        (2, 0.4, "ok"),
        (3, 0.6, "ok"),
        (4, 0.8, "warning"),
        (5, 1.0, "full"),
    ]
    assert seen[-1]["available"] == 0 and seen[-1]["holders_count"] == 5
    positions = [p["position"] for p in seen]
    assert positions == sorted(set(positions))


def test_an_omitted_warning_threshold_keeps_the_current_one(c: httpx.Client) -> None:
    tid = tenant(c)["tenant_id"]
    assert open_pool(c, tid, 4, warning_threshold=0.5)["warning_threshold"] == 0.5
    assert assign(c, tid, "a", "b")["level"] == "warning"
    raised = open_pool(c, tid, 10)
    assert (raised["warning_threshold"], raised["level"]) == (0.5, "ok")


def test_a_pool_with_limit_zero_is_full(c: httpx.Client) -> None:
    tid = tenant(c)["tenant_id"]
    empty = open_pool(c, tid, 0)
    assert empty["utilization"] == 1.0 and empty["level"] == "full"
    assert empty["available"] == 0
    r = c.post(f"{pool_path(tid)}/assignments", json={"holder_id": "x"})
    problem(r, 409, "quota_exhausted")


def test_setting_the_same_limit_again_records_nothing(c: httpx.Client) -> None:
    tid = tenant(c)["tenant_id"]
    first = open_pool(c, tid, 7)
    again = open_pool(c, tid, 7)
    assert again == first
    assert head(c) == first["position"]


def test_assign_release_and_list_holders(c: httpx.Client) -> None:
    tid = tenant(c)["tenant_id"]
    open_pool(c, tid, 5)
    assign(c, tid, "user:carol@example.com", "alice", "bob.b-1")
    released = c.delete(f"{pool_path(tid)}/assignments/bob.b-1")
    assert released.status_code == 200
    assert (released.json()["used"], released.json()["available"]) == (2, 3)
    listed = c.get(
        f"{pool_path(tid)}/assignments",
        params={"min_position": released.json()["position"], "wait_ms": 5000},
    )
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert [h["holder_id"] for h in body["holders"]] == [
        "alice",
        "user:carol@example.com",
    ]
    assert body["next_after"] is None
    assert body["position"] >= released.json()["position"]
    page = c.get(f"{pool_path(tid)}/assignments", params={"limit": 1}).json()
    assert [h["holder_id"] for h in page["holders"]] == ["alice"]
    assert page["next_after"] == "alice"
    rest = c.get(
        f"{pool_path(tid)}/assignments", params={"limit": 1, "after": "alice"}
    ).json()
    assert [h["holder_id"] for h in rest["holders"]] == ["user:carol@example.com"]


def test_seat_conflicts_and_unknown_pools_are_problems(c: httpx.Client) -> None:
    tid = tenant(c)["tenant_id"]
    open_pool(c, tid, 1)
    holders = f"{pool_path(tid)}/assignments"
    assign(c, tid, "h1")
    problem(c.post(holders, json={"holder_id": "h1"}), 409, "already_assigned")
    problem(c.post(holders, json={"holder_id": "h2"}), 409, "quota_exhausted")
    problem(c.delete(f"{holders}/h2"), 404, "not_found")
    other = pool_path(tid, "expenses")
    problem(c.get(other), 404, "not_found")
    problem(c.post(f"{other}/assignments", json={"holder_id": "h1"}), 404, "not_found")
    problem(c.delete(f"{other}/assignments/h1"), 404, "not_found")
    problem(c.get(f"{other}/assignments"), 404, "not_found")


def test_lowering_a_limit_below_usage_is_refused(c: httpx.Client) -> None:
    tid = tenant(c)["tenant_id"]
    open_pool(c, tid, 5)
    assign(c, tid, "a", "b", "c")
    r = c.put(pool_path(tid), json={"limit": 2})
    problem(r, 409, "limit_below_usage")
    assert open_pool(c, tid, 3)["level"] == "full"


def test_a_pool_read_at_an_instant_shows_the_state_then(c: httpx.Client) -> None:
    tid = tenant(c)["tenant_id"]
    open_pool(c, tid, 5)
    assign(c, tid, "early")
    time.sleep(0.05)
    then = datetime.now(UTC).isoformat()
    time.sleep(0.05)
    open_pool(c, tid, 8)
    assign(c, tid, "late")
    r = c.get(pool_path(tid), params={"at": then})
    assert r.status_code == 200, r.text
    assert (r.json()["limit"], r.json()["used"]) == (5, 1)
