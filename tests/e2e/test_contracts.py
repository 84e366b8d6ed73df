"""Contracts over time over HTTP: a change scheduled for tomorrow is seen to
apply once the service's clock has moved past it (SEATLEDGER_CLOCK_OFFSET_DAYS),
also across a restart; failed and cancelled changes; seats moved between
sibling sub-tenants."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Server, _pg, server_env, start_server, stop_server
from tests.e2e.helpers import bad_fields, head, multi, ok, problem, tenant

Start = Callable[[dict[str, str]], httpx.Client]


@pytest.fixture
def start(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Start]:
    """Starts `serve` on one store, stopping the previous one first."""
    env = server_env(backend, tmp_path, _pg(backend, request))
    running: list[tuple[Server, httpx.Client]] = []

    def restart(extra: dict[str, str]) -> httpx.Client:
        stop()
        server = start_server({**env, **extra}, tmp_path)
        running.append((server, server.client()))
        return running[-1][1]

    def stop() -> None:
        while running:
            server, client = running.pop()
            client.close()
            stop_server(server)

    yield restart
    stop()


def tomorrow() -> str:
    return (datetime.now(UTC) + timedelta(days=1)).isoformat()


def seats(c: httpx.Client, tid: str, pool: str = "jobs") -> str:
    return f"/v1/tenants/{tid}/seats/{pool}"


def put(c: httpx.Client, tid: str, limit: int, **extra: Any) -> httpx.Response:
    return c.put(seats(c, tid), json={"limit": limit, **extra})


def family(c: httpx.Client, parent_limit: int = 10) -> tuple[str, str, str]:
    """A partner with a `jobs` pool and two sub-tenants."""
    p = multi(c)["tenant_id"]
    ok(put(c, p, parent_limit))
    a = tenant(c, parent_id=p)["tenant_id"]
    b = tenant(c, parent_id=p)["tenant_id"]
    return p, a, b


def eventually(
    read: Callable[[], dict[str, Any]], done: Callable[[dict], bool]
) -> dict:
    """What `read` answers once `done` holds (generous bound: 30 s)."""
    deadline = time.monotonic() + 30
    while True:
        found = read()
        if done(found) or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def test_a_change_scheduled_for_tomorrow_applies_once_the_day_has_come(
    start: Start,
) -> None:
    c = start({})
    p, a, _ = family(c)
    ok(put(c, a, 2))
    ok(c.post(f"{seats(c, a)}/assignments", json={"holder_id": "h1"}), 201)
    when = tomorrow()
    raised = ok(put(c, a, 5, effective_at=when), 202)
    lowered = ok(put(c, a, 0, effective_at=when), 202)  # below usage then
    assert raised["status"] == "scheduled" and raised["limit"] == 5
    pool = ok(c.get(seats(c, a)))
    assert pool["limit"] == 2
    assert [s["change_id"] for s in pool["scheduled"]] == [
        raised["change_id"],
        lowered["change_id"],
    ]

    # Two days on, after a restart: the scheduler applies both (in order).
    c = start({"SEATLEDGER_CLOCK_OFFSET_DAYS": "2"})
    pool = eventually(lambda: ok(c.get(seats(c, a))), lambda p: not p["scheduled"])
    assert (pool["limit"], pool["used"]) == (5, 1)
    assert ok(c.get(seats(c, p)))["allocated"] == 5

    q = {"min_position": head(c), "wait_ms": 5000}
    changes = ok(c.get(f"{seats(c, a)}/scheduled-changes", params=q))["changes"]
    by_id = {x["change_id"]: x for x in changes}
    applied, failed = by_id[raised["change_id"]], by_id[lowered["change_id"]]
    assert applied["status"] == "applied"
    assert applied["settled_at"] > applied["effective_at"]  # both instants
    assert (failed["status"], failed["reason"]) == ("failed", "limit_below_usage")
    events = ok(c.get(f"/v1/tenants/{a}/history", params={"limit": 1000}))["events"]
    done = [e for e in events if e["type"] == "ContractChangeApplied"]
    assert done[0]["actor"] == "system:scheduler"
    assert set(done[0]["payload"]) == {"effective_at", "applied_at"}


def test_a_command_on_the_pool_applies_its_due_change_first(start: Start) -> None:
    c = start({"SEATLEDGER_SCHEDULER_INTERVAL_S": "0"})  # no scheduler at all
    tid = multi(c)["tenant_id"]
    ok(put(c, tid, 1))
    ok(c.post(f"{seats(c, tid)}/assignments", json={"holder_id": "h1"}), 201)
    ok(put(c, tid, 2, effective_at=tomorrow()), 202)
    c = start(
        {"SEATLEDGER_CLOCK_OFFSET_DAYS": "1", "SEATLEDGER_SCHEDULER_INTERVAL_S": "0"}
    )
    path = f"{seats(c, tid)}/assignments"
    pool = ok(c.post(path, json={"holder_id": "h2"}), 201)
    assert (pool["limit"], pool["used"], pool["scheduled"]) == (2, 2, [])


def test_scheduling_cancelling_and_the_errors_that_go_with_them(
    c: httpx.Client,
) -> None:
    tid = multi(c)["tenant_id"]
    ok(put(c, tid, 3))
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    assert bad_fields(put(c, tid, 4, effective_at=past)) == {"effective_at"}
    naive = datetime.now().replace(tzinfo=None).isoformat()
    assert bad_fields(put(c, tid, 4, effective_at=naive)) == {"effective_at"}
    unix = int((datetime.now(UTC) + timedelta(days=1)).timestamp())
    assert bad_fields(put(c, tid, 4, effective_at=unix)) == {"effective_at"}
    assert bad_fields(put(c, tid, -1, effective_at=tomorrow())) == {"limit"}

    key = {"Idempotency-Key": f"plan-{uuid.uuid4()}"}
    body = {"limit": 4, "effective_at": tomorrow()}
    first = c.put(seats(c, tid), json=body, headers=key)
    again = c.put(seats(c, tid), json=body, headers=key)
    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"

    change = first.json()["change_id"]
    cancelled = ok(c.delete(f"/v1/scheduled-changes/{change}"))
    assert (cancelled["status"], cancelled["settled_at"] is not None) == (
        "cancelled",
        True,
    )
    assert ok(c.get(seats(c, tid)))["scheduled"] == []
    problem(c.delete(f"/v1/scheduled-changes/{change}"), 409, "invalid_state")
    problem(c.delete(f"/v1/scheduled-changes/{uuid.uuid4()}"), 404, "not_found")
    problem(c.get(f"{seats(c, tid, 'nothing')}/scheduled-changes"), 404, "not_found")


def test_a_change_scheduled_over_the_command_endpoint_is_accepted(
    c: httpx.Client,
) -> None:
    tid = multi(c)["tenant_id"]
    envelope = {
        "command_id": str(uuid.uuid4()),
        "type": "SetSeatLimit",
        "tenant_id": tid,
        "payload": {"pool": "jobs", "limit": 7, "effective_at": tomorrow()},
    }
    r = c.post("/v1/commands", json=envelope)
    assert r.status_code == 202, r.text
    assert r.json()["result"]["status"] == "scheduled"


def test_seats_move_between_siblings_and_the_parent_does_not_notice(
    c: httpx.Client,
) -> None:
    p, a, b = family(c)
    ok(put(c, a, 6))
    ok(c.post(f"{seats(c, a)}/assignments", json={"holder_id": "h1"}), 201)
    before = ok(c.get(seats(c, p)))
    moved = ok(
        c.post(f"{seats(c, a)}/transfers", json={"to_tenant_id": b, "quantity": 4})
    )
    assert (moved["from"]["limit"], moved["to"]["limit"]) == (2, 4)
    assert moved["to"]["tenant_id"] == b and moved["position"] >= before["position"]
    after = ok(c.get(seats(c, p)))
    assert (after["available"], after["allocated"]) == (
        before["available"],
        before["allocated"],
    )
    assert after["level"] == before["level"]
    problem(
        c.post(f"{seats(c, a)}/transfers", json={"to_tenant_id": b, "quantity": 2}),
        409,
        "limit_below_usage",
    )


def test_transfers_only_between_siblings_that_draw_from_the_parent(
    c: httpx.Client,
) -> None:
    p, a, b = family(c)
    ok(put(c, a, 3))
    stranger = multi(c)["tenant_id"]
    path = f"{seats(c, a)}/transfers"
    for to in (stranger, p, a, str(uuid.uuid4())):
        r = c.post(path, json={"to_tenant_id": to, "quantity": 1})
        assert bad_fields(r) == {"to_tenant_id"}
    lone = tenant(c, parent_id=p)["tenant_id"]
    ok(c.put(seats(c, lone, "own"), json={"limit": 2}))  # the parent has no `own`
    r = c.post(
        f"{seats(c, lone, 'own')}/transfers", json={"to_tenant_id": b, "quantity": 1}
    )
    assert bad_fields(r) == {"pool"}
    r = c.post(
        f"{seats(c, b, 'none')}/transfers", json={"to_tenant_id": a, "quantity": 1}
    )
    problem(r, 404, "not_found")
    assert bad_fields(c.post(path, json={"to_tenant_id": b, "quantity": 0})) == {
        "quantity"
    }
