"""`POST /v1/commands` with `dry_run: true`: the answer the real command
would get — status and body, for a success and for each refusal — and
nothing recorded (docs/http.md "Writes")."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx

from tests.e2e.conftest import Server
from tests.e2e.helpers import assign, head, ok, open_pool, tenant

Answer = tuple[int, dict[str, Any]]


def send(
    c: httpx.Client, kind: str, tid: str | None, dry: bool, **payload: Any
) -> Answer:
    envelope: dict[str, Any] = {
        "command_id": str(uuid.uuid4()),
        "type": kind,
        "payload": payload,
        "dry_run": dry,
    }
    if tid:
        envelope["tenant_id"] = tid
    r = c.post("/v1/commands", json=envelope)
    return r.status_code, dict(r.json())


def comparable(body: dict[str, Any]) -> dict[str, Any]:
    """What must be equal: all but the command id, the dry-run flag and the
    positions (a dry run records nothing, so it answers the head)."""
    body = {
        k: v for k, v in body.items() if k not in ("command_id", "dry_run", "position")
    }
    if isinstance(body.get("result"), dict):
        body["result"] = {k: v for k, v in body["result"].items() if k != "position"}
    return body


def dry_then_real(c: httpx.Client, call: Callable[[bool], Answer]) -> Answer:
    """The dry run's answer (checked against the real one, which follows)."""
    before = head(c)
    dry_status, dry = call(True)
    assert head(c) == before, "a dry run recorded something"
    assert dry["dry_run"] is True
    assert dry["position"] == before  # refused or not: nothing was recorded
    if dry["ok"]:
        assert dry["result"]["position"] == before
    real_status, real = call(False)
    assert "dry_run" not in real
    if not real["ok"]:
        assert real["position"] == head(c) == before  # a refusal answers the head
    assert (dry_status, comparable(dry)) == (real_status, comparable(real))
    return dry_status, dry


def test_a_dry_run_that_would_succeed_answers_like_the_command(c: httpx.Client) -> None:
    tid = tenant(c)["tenant_id"]
    open_pool(c, tid, 2)
    status, body = dry_then_real(
        c, lambda dry: send(c, "AssignSeat", tid, dry, pool="jobs", holder_id="a")
    )
    assert status == 201 and body["result"]["used"] == 1


def test_a_dry_run_refused_for_quota_answers_like_the_command(c: httpx.Client) -> None:
    tid = tenant(c)["tenant_id"]
    open_pool(c, tid, 1)
    assign(c, tid, "a")
    status, body = dry_then_real(
        c, lambda dry: send(c, "AssignSeat", tid, dry, pool="jobs", holder_id="b")
    )
    assert (status, body["error"]["code"]) == (409, "quota_exhausted")


def test_a_dry_run_refused_for_a_license_answers_like_the_command(
    c: httpx.Client,
) -> None:
    parent = tenant(c)["tenant_id"]  # without multi_tenant
    name = f"Sub {uuid.uuid4()}"
    status, body = dry_then_real(
        c, lambda dry: send(c, "CreateTenant", None, dry, name=name, parent_id=parent)
    )
    assert (status, body["error"]["code"]) == (409, "license_required")


def test_a_dry_run_of_a_held_seat_answers_like_the_command(c: httpx.Client) -> None:
    tid = tenant(c)["tenant_id"]
    open_pool(c, tid, 5)
    assign(c, tid, "a")
    status, body = dry_then_real(
        c, lambda dry: send(c, "AssignSeat", tid, dry, pool="jobs", holder_id="a")
    )
    assert (status, body["error"]["code"]) == (409, "already_assigned")


def test_a_dry_run_out_of_scope_answers_like_the_command(
    srv: Server, c: httpx.Client
) -> None:
    mine, theirs = tenant(c)["tenant_id"], tenant(c)["tenant_id"]
    open_pool(c, theirs, 5)
    body = {"name": "admin", "role": "tenant_admin", "tenant_id": mine}
    secret = ok(c.post("/v1/api-keys", json=body), 201)["secret"]
    with srv.client(secret) as admin:
        status, answer = dry_then_real(
            c,
            lambda dry: send(
                admin, "AssignSeat", theirs, dry, pool="jobs", holder_id="x"
            ),
        )
    assert (status, answer["error"]["code"]) == (403, "forbidden")


def test_a_dry_run_of_a_recorded_command_id_answers_as_its_repeat(
    c: httpx.Client,
) -> None:
    tid = tenant(c)["tenant_id"]
    open_pool(c, tid, 5)
    envelope = {
        "command_id": str(uuid.uuid4()),
        "type": "AssignSeat",
        "tenant_id": tid,
        "payload": {"pool": "jobs", "holder_id": "a"},
    }
    first = ok(c.post("/v1/commands", json=envelope), 201)
    before = head(c)
    again = ok(c.post("/v1/commands", json={**envelope, "dry_run": True}), 201)
    assert head(c) == before
    assert again["position"] == first["position"] and again["dry_run"] is True
    assert comparable(again) == comparable(first)
