"""The usage-history report over HTTP: a day's peak and end-of-day usage per
pool, from the daily-usage projection; its validation errors and its scope."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

from tests.e2e.conftest import Server
from tests.e2e.helpers import head, ok, problem, tenant


def today() -> date:
    return datetime.now(UTC).date()


def report(c: httpx.Client, tid: str, **params: object) -> httpx.Response:
    """A projection read: it waits until every write so far is in."""
    caught_up = {"min_position": head(c), "wait_ms": 5000}
    return c.get(
        f"/v1/tenants/{tid}/reports/usage-history", params={**caught_up, **params}
    )


def put(c: httpx.Client, tid: str, pool: str, limit: int) -> int:
    r = c.put(f"/v1/tenants/{tid}/seats/{pool}", json={"limit": limit})
    return int(ok(r)["position"])


def seat(c: httpx.Client, tid: str, verb: str, holder: str, pool: str = "jobs") -> int:
    path = f"/v1/tenants/{tid}/seats/{pool}/assignments"
    if verb == "assign":
        return int(ok(c.post(path, json={"holder_id": holder}), 201)["position"])
    return int(ok(c.delete(f"{path}/{holder}"))["position"])


def partner(c: httpx.Client) -> str:
    tid = tenant(c)["tenant_id"]
    ok(c.post(f"/v1/tenants/{tid}/licenses", json={"feature": "multi_tenant"}), 201)
    return str(tid)


def test_a_day_of_assignments_and_releases_shows_its_peak_and_its_end(
    c: httpx.Client,
) -> None:
    started = today()
    tid = partner(c)
    put(c, tid, "jobs", 10)
    for holder in ("a", "b", "c"):
        seat(c, tid, "assign", holder)
    child = tenant(c, parent_id=tid)["tenant_id"]
    put(c, child, "jobs", 3)  # 3 of the parent's seats go to the sub-tenant
    seat(c, tid, "release", "a")
    seat(c, tid, "release", "b")
    last = seat(c, tid, "assign", "d")

    body = ok(report(c, tid))
    if today() != started:
        pytest.skip("the day changed (UTC midnight) while the test ran")

    assert (body["from"], body["to"]) == (
        (started - timedelta(days=29)).isoformat(),
        started.isoformat(),
    )
    assert body["tenant_id"] == tid and body["position"] >= last
    [jobs] = body["pools"]
    assert jobs["pool"] == "jobs"
    assert jobs["days"] == [  # days before the pool was opened are left out
        {
            "day": started.isoformat(),
            "peak_used": 3,
            "peak_in_use": 6,  # a, b, c and the sub-tenant's 3
            "end_used": 2,  # c, d
            "end_reserved": 0,
            "end_allocated": 3,
            "end_in_use": 5,
            "limit": 10,
            "level": "ok",
        }
    ]
    child_days = ok(report(c, child, pool="jobs"))["pools"][0]["days"]
    assert [(d["limit"], d["end_used"]) for d in child_days] == [(3, 0)]


def test_reservations_show_at_the_end_of_today_and_tracked_pools_are_left_out(
    c: httpx.Client,
) -> None:
    started = today()
    tid = tenant(c)["tenant_id"]
    member = {"email": f"{uuid.uuid4().hex[:8]}@example.com", "role": "admin"}
    ok(c.post(f"/v1/tenants/{tid}/members", json=member), 201)
    # The members pool exists (tracked) but has no limit yet: not reported.
    assert ok(report(c, tid))["pools"] == []
    problem(report(c, tid, pool="members"), 404, "not_found")

    put(c, tid, "members", 3)
    invitation = {"email": "guest@example.com", "role": "user"}
    ok(c.post(f"/v1/tenants/{tid}/invitations", json=invitation), 201)
    put(c, tid, "jobs", 1)

    body = ok(report(c, tid, pool="members", **{"from": started.isoformat()}))
    if today() != started:
        pytest.skip("the day changed (UTC midnight) while the test ran")
    [members] = body["pools"]
    [row] = members["days"]
    fields = ("peak_used", "peak_in_use", "end_used", "end_reserved", "level")
    assert tuple(row[k] for k in fields) == (1, 2, 1, 1, "ok")
    assert [p["pool"] for p in ok(report(c, tid))["pools"]] == ["jobs", "members"]


def test_days_before_a_pool_existed_have_no_rows(c: httpx.Client) -> None:
    tid = tenant(c)["tenant_id"]
    put(c, tid, "jobs", 2)
    yesterday = (today() - timedelta(days=1)).isoformat()
    week_ago = (today() - timedelta(days=7)).isoformat()
    body = ok(report(c, tid, **{"from": week_ago, "to": yesterday}))
    assert (body["from"], body["to"]) == (week_ago, yesterday)
    assert body["pools"] == [{"pool": "jobs", "days": []}]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2025-02-30"}, "from"),
        ({"to": "tomorrow"}, "to"),
        ({"from": "2025-03-02", "to": "2025-03-01"}, "from"),
        ({"from": "2024-01-01", "to": "2025-01-01"}, "from"),  # 367 days
        ({"to": "9999-12-31"}, "to"),  # in the future
        ({"from": "0001-01-01"}, "from"),  # far more than 366 days before today
        ({"pool": "Not A Slug"}, "pool"),
    ],
)
def test_bad_days_and_pools_are_422_naming_the_field(
    c: httpx.Client, params: dict[str, str], field: str
) -> None:
    tid = tenant(c)["tenant_id"]
    body = problem(report(c, tid, **params), 422, "validation_error")
    assert [(e["field"], e["in"]) for e in body["errors"]] == [(field, "query")]


def test_a_full_year_is_accepted_and_unknown_pools_and_tenants_are_404(
    c: httpx.Client,
) -> None:
    tid = tenant(c)["tenant_id"]
    body = ok(report(c, tid, **{"from": "2024-01-01", "to": "2024-12-31"}))
    assert body["pools"] == []
    problem(report(c, tid, pool="jobs"), 404, "not_found")
    problem(report(c, str(uuid.uuid4())), 404, "not_found")


def test_another_tenants_history_is_404_but_a_malformed_query_is_422_first(
    c: httpx.Client, srv: Server
) -> None:
    mine, theirs = tenant(c)["tenant_id"], tenant(c)["tenant_id"]
    put(c, mine, "jobs", 2)
    put(c, theirs, "jobs", 2)
    key = {"name": "k", "role": "analyst", "tenant_id": mine}
    secret = ok(c.post("/v1/api-keys", json=key), 201)["secret"]
    with srv.client(secret) as analyst:
        assert [p["pool"] for p in ok(report(analyst, mine))["pools"]] == ["jobs"]
        problem(report(analyst, theirs), 404, "not_found")
        problem(report(analyst, theirs, pool="jobs"), 404, "not_found")
        bad = {"from": "2025-03-02", "to": "2025-03-01"}
        problem(report(analyst, theirs, **bad), 422, "validation_error")
