"""The usage dashboard at an instant (`GET /usage?at=`), rebuilt from the
events, answers what the live dashboard (a projection) answered then."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta, timezone

import httpx

from tests.e2e.conftest import Server
from tests.e2e.helpers import ok, problem, tenant


def usage(tid: str) -> str:
    return f"/v1/tenants/{tid}/usage"


def put(c: httpx.Client, tid: str, pool: str, **body: object) -> int:
    return int(ok(c.put(f"/v1/tenants/{tid}/seats/{pool}", json=body))["position"])


def seats(c: httpx.Client, tid: str, pool: str, verb: str, holder: str) -> int:
    path = f"/v1/tenants/{tid}/seats/{pool}/assignments"
    if verb == "assign":
        return int(ok(c.post(path, json={"holder_id": holder}), 201)["position"])
    return int(ok(c.delete(f"{path}/{holder}"))["position"])


def member(c: httpx.Client, tid: str, **body: object) -> int:
    body = {"email": f"{uuid.uuid4().hex[:10]}@example.com", "role": "user", **body}
    return int(ok(c.post(f"/v1/tenants/{tid}/members", json=body), 201)["position"])


def by_pool(body: dict) -> dict[str, dict]:
    return {p["pool"]: p for p in body["pools"]}


class Recorder:
    """The live dashboard's answers, each with the instant right after it."""

    def __init__(self, c: httpx.Client, tid: str) -> None:
        self.c, self.tid = c, tid
        self.seen: list[tuple[str, dict]] = []

    def record(self, position: int) -> None:
        q = {"min_position": position, "wait_ms": 5000}
        live = ok(self.c.get(usage(self.tid), params=q))
        self.seen.append((datetime.now(UTC).isoformat(), live))
        time.sleep(0.02)  # the next write's events come strictly after


def test_the_dashboard_at_each_instant_equals_the_live_answer_then(
    c: httpx.Client,
) -> None:
    tid = tenant(c)["tenant_id"]
    live = Recorder(c, tid)
    live.record(put(c, tid, "jobs", limit=3))
    put(c, tid, "seats", limit=4)
    seats(c, tid, "seats", "assign", "a")
    live.record(seats(c, tid, "seats", "assign", "b"))
    put(c, tid, "jobs", limit=5)
    live.record(seats(c, tid, "jobs", "assign", "x"))
    seats(c, tid, "seats", "release", "a")
    put(c, tid, "members", limit=4)
    member(c, tid)
    member(c, tid, end_date=(datetime.now(UTC).date() - timedelta(days=3)).isoformat())
    invited = {"email": "guest@example.com", "role": "user"}
    live.record(
        int(ok(c.post(f"/v1/tenants/{tid}/invitations", json=invited), 201)["position"])
    )
    live.record(put(c, tid, "seats", limit=4, warning_threshold=0.2))

    for then, answer in live.seen:
        rebuilt = ok(c.get(usage(tid), params={"at": then}))
        assert rebuilt["tenant_id"] == answer["tenant_id"]
        # Every pool field equal, pool positions included, in the same order.
        assert rebuilt["pools"] == answer["pools"], then
        # The one field that differs: the live `position` is the projection's
        # (over every tenant); rebuilt, it is the tenant's and its pools' own.
        tenant_then = ok(c.get(f"/v1/tenants/{tid}", params={"at": then}))
        own = [tenant_then["position"], *(p["position"] for p in answer["pools"])]
        assert rebuilt["position"] == max(own) <= answer["position"]

    last = by_pool(ok(c.get(usage(tid), params={"at": live.seen[-1][0]})))
    assert {k: (v["used"], v["reserved"]) for k, v in last.items()} == {
        "jobs": (1, 0),
        "members": (1, 1),  # the ended member does not count
        "seats": (1, 0),
    }
    assert last["seats"]["level"] == "warning"


def test_pools_opened_later_are_absent_and_before_the_tenant_is_404(
    c: httpx.Client,
) -> None:
    before = datetime.now(UTC).isoformat()
    time.sleep(0.02)
    tid = tenant(c)["tenant_id"]
    put(c, tid, "jobs", limit=2)
    time.sleep(0.02)
    between = datetime.now(UTC).isoformat()
    time.sleep(0.02)
    put(c, tid, "seats", limit=2)

    assert list(by_pool(ok(c.get(usage(tid), params={"at": between})))) == ["jobs"]
    problem(c.get(usage(tid), params={"at": before}), 404, "not_found")
    unknown = f"/v1/tenants/{uuid.uuid4()}/usage"
    problem(c.get(unknown, params={"at": between}), 404, "not_found")


def test_an_instant_in_the_future_or_malformed_is_422(c: httpx.Client) -> None:
    tid = tenant(c)["tenant_id"]
    soon = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    body = problem(c.get(usage(tid), params={"at": soon}), 422, "validation_error")
    assert [(e["field"], e["in"]) for e in body["errors"]] == [("at", "query")]
    # Every ?at= read refuses the future alike.
    assert c.put(f"/v1/tenants/{tid}/seats/expenses", json={"limit": 3}).is_success
    for path in (f"/v1/tenants/{tid}", f"/v1/tenants/{tid}/seats/expenses"):
        problem(c.get(path, params={"at": soon}), 422, "validation_error")
        # Before year 1 once in UTC: out of range, not a 500.
        early = {"at": "0001-01-01T05:00:00+14:00"}
        problem(c.get(path, params=early), 422, "validation_error")
    problem(c.get(usage(tid), params=early), 422, "validation_error")
    body = problem(
        c.get(usage(tid), params={"at": "yesterday"}), 422, "validation_error"
    )
    assert body["errors"][0]["field"] == "at"


def test_another_tenants_dashboard_at_an_instant_is_404_and_shape_comes_first(
    c: httpx.Client, srv: Server
) -> None:
    mine, theirs = tenant(c)["tenant_id"], tenant(c)["tenant_id"]
    put(c, theirs, "jobs", limit=2)
    key = {"name": "k", "role": "analyst", "tenant_id": mine}
    secret = ok(c.post("/v1/api-keys", json=key), 201)["secret"]
    now = datetime.now(UTC).isoformat()
    soon = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    with srv.client(secret) as analyst:
        assert ok(analyst.get(usage(mine), params={"at": now}))["pools"] == []
        problem(analyst.get(usage(theirs), params={"at": now}), 404, "not_found")
        problem(
            analyst.get(usage(theirs), params={"at": soon}), 422, "validation_error"
        )


def test_an_instant_with_an_offset_is_judged_on_its_utc_day(c: httpx.Client) -> None:
    tid = tenant(c)["tenant_id"]
    put(c, tid, "members", limit=5)
    today = datetime.now(UTC).date()
    member(c, tid, end_date=today.isoformat())  # counts through today (UTC)
    member(c, tid, end_date=(today - timedelta(days=1)).isoformat())  # ended
    time.sleep(0.02)
    now = datetime.now(UTC)
    # East of UTC it may already be tomorrow, west of it still yesterday: the
    # end dates are UTC days, so all three name the same moment and answer.
    for offset in (0, 14, -12):
        then = now.astimezone(timezone(timedelta(hours=offset))).isoformat()
        body = ok(c.get(usage(tid), params={"at": then}))
        assert by_pool(body)["members"]["used"] == 1, then
