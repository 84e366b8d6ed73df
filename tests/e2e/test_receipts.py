"""Receipts (the stored answers to repeated commands): only a decided
command of a key with write rights leaves one, so a malformed request or a
read-only key stores nothing; they are kept at least
SEATLEDGER_IDEMPOTENCY_TTL_H (72 h by default) and pruned after it, by
`seatledger prune-receipts` and by `serve` itself (at start, then hourly),
and a repeat after that runs again. Time passes through the service's clock
(SEATLEDGER_CLOCK_OFFSET_DAYS), restarting on the same store."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import BACKENDS
from tests.e2e.conftest import KEY, Server, server_env, start_server, stop_server
from tests.e2e.helpers import ok, tenant
from tests.e2e.store_support import Store, store_of


@pytest.fixture
def stored(server: Server, backend: str, request: pytest.FixtureRequest) -> Store:
    return store_of(server, backend, request)


def settled(c: httpx.Client, stored: Store, tid: str, position: int) -> None:
    """Waits until everything that follows the log holds every write so far
    (the projections, and the in-process webhook matcher, which records its
    own position): from then on the database changes only if a request
    stores something."""
    params = {"min_position": position, "wait_ms": 5000}
    ok(c.get(f"/v1/tenants/{tid}/usage", params=params))
    query = "SELECT position FROM webhook_sender WHERE name = 'matcher'"
    deadline = time.monotonic() + 30
    while not any(int(p) >= position for (p,) in stored.rows(query)):
        assert time.monotonic() < deadline, "the webhook matcher never caught up"
        time.sleep(0.05)


def envelope(kind: str, tid: str | None, **payload: Any) -> dict[str, Any]:
    body = {"command_id": str(uuid.uuid4()), "type": kind, "payload": payload}
    return body | ({"tenant_id": tid} if tid else {})


def test_a_read_only_keys_commands_store_nothing(server: Server, stored: Store) -> None:
    """Issue 11: an auditor's malformed /v1/commands envelope was recorded
    under its command_id (and a refused one answered from that record), so
    a read-only key could make the server store rows."""
    with server.client() as op:
        t = tenant(op)["tenant_id"]
        body = {"name": "reader", "role": "auditor", "tenant_id": t}
        auditor = ok(op.post("/v1/api-keys", json=body), 201)
        settled(op, stored, t, auditor["position"])
    before = stored.tables()
    member = {"email": "new@example.org", "role": "member"}
    idem = {"Idempotency-Key": "reader-1"}
    with server.client(auditor["secret"]) as k:
        for sent, status in (
            (envelope("NoSuchCommand", t), 422),
            (envelope("AddMember", t, bogus=1), 422),
            (envelope("AddMember", t, **member), 403),
            (envelope("AddMember", t, **member) | {"command_id": "not-an-id"}, 422),
        ):
            r = k.post("/v1/commands", json=sent)
            assert r.status_code == status, r.text
        r = k.post(f"/v1/tenants/{t}/members", json=member, headers=idem)
        assert r.status_code == 403, r.text
        r = k.post(f"/v1/tenants/{t}/members", json={"bogus": 1}, headers=idem)
        assert r.status_code == 422, r.text
    assert stored.tables() == before


def test_a_malformed_request_stores_nothing_and_leaves_its_key_unused(
    server: Server, stored: Store
) -> None:
    """Issue 11: a REST 422 sent with an Idempotency-Key was stored as that
    key's answer; now nothing is stored, and the key still runs the request
    once it is well-formed."""
    with server.client() as op:
        created = tenant(op)
        t = created["tenant_id"]
        settled(op, stored, t, created["position"])
        before = stored.tables()
        path = f"/v1/tenants/{t}/members"
        idem = {"Idempotency-Key": "malformed-first"}
        for bad in ({"email": "not-an-email", "role": "member"}, {"bogus": 1}):
            r = op.post(path, json=bad, headers=idem)
            assert r.status_code == 422, r.text
        r = op.post(path, content=b'{"email": ', headers=idem)
        assert r.status_code == 422, r.text
        r = op.put(f"/v1/tenants/{t}/seats/x", json={"limit": -1}, headers=idem)
        assert r.status_code == 422, r.text
        sent = envelope("AddMember", t, email="not-an-email", role="member")
        assert op.post("/v1/commands", json=sent).status_code == 422
        assert stored.tables() == before
        good = {"email": "first@example.org", "role": "member"}
        r = op.post(path, json=good, headers=idem)
        assert r.status_code == 201 and "idempotent-replayed" not in r.headers, r.text
        sent["payload"]["email"] = "second@example.org"  # the same command_id
        assert op.post("/v1/commands", json=sent).status_code == 201


def create_key(c: httpx.Client, tid: str, idem: str) -> httpx.Response:
    body = {"name": f"key {idem}", "role": "service", "tenant_id": tid}
    return c.post("/v1/api-keys", json=body, headers={"Idempotency-Key": idem})


def answered(r: httpx.Response) -> tuple[str, bool]:
    """(key id, whether the answer came from a receipt)."""
    body = ok(r, 201)
    replayed = r.headers.get("idempotent-replayed") == "true"
    assert (body["secret"] is None) == replayed, r.text  # a run shows a secret
    return body["key_id"], replayed


def prune_cli(env: dict[str, str], workdir: Path, days: int) -> str:
    full = {**os.environ, **env, "SEATLEDGER_BOOTSTRAP_KEY": KEY}
    full["SEATLEDGER_CLOCK_OFFSET_DAYS"] = str(days)
    done = subprocess.run(
        [sys.executable, "-m", "infra.cli", "prune-receipts"],
        env=full,
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stderr


def days_later(env: dict[str, str], days: int) -> dict[str, str]:
    return {**env, "SEATLEDGER_CLOCK_OFFSET_DAYS": str(days)}


@pytest.mark.parametrize("backend", BACKENDS)
def test_receipts_are_kept_the_ttl_then_pruned_and_a_repeat_runs_again(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    pg = request.getfixturevalue("pg_url") if backend == "postgres" else None
    env = server_env(backend, tmp_path, pg)
    facts: dict[str, Any] = {}
    first = start_server(env, tmp_path)  # today
    try:
        with first.client() as op:
            facts["t"] = t = tenant(op)["tenant_id"]
            facts["old"], _ = answered(create_key(op, t, "old"))
    finally:
        stop_server(first)

    two_days_on = start_server(days_later(env, 2), tmp_path)
    try:
        with two_days_on.client() as op:
            t = facts["t"]
            young, _ = answered(create_key(op, t, "young"))
            # 48 h < 72 h: serve pruned at start, and kept the old receipt.
            assert answered(create_key(op, t, "old")) == (facts["old"], True)
            # Four days on, the old receipt (day 0) is past the TTL, the young
            # one (day 2) is not.
            out = prune_cli(env, tmp_path, days=4)
            assert "1 receipt(s) older than 72 hours pruned" in out, out
            rerun, replayed = answered(create_key(op, t, "old"))
            assert not replayed and rerun != facts["old"]  # ran again: a new key
            assert answered(create_key(op, t, "old")) == (rerun, True)
            assert answered(create_key(op, t, "young")) == (young, True)
    finally:
        stop_server(two_days_on)

    six_days_on = start_server(days_later(env, 6), tmp_path)
    try:
        with six_days_on.client() as op:
            # serve's own pruning (at start) takes the day-2 receipts.
            again = eventually_runs(op, facts["t"], "young")
            assert again != young
    finally:
        stop_server(six_days_on)


def eventually_runs(op: httpx.Client, tid: str, idem: str) -> str:
    """Repeats the call until it runs again instead of being answered from
    its receipt (a repeat answered from a receipt changes nothing)."""
    deadline = time.monotonic() + 30
    while True:
        key_id, replayed = answered(create_key(op, tid, idem))
        if not replayed:
            return key_id
        assert time.monotonic() < deadline, "serve did not prune the receipt"
        time.sleep(0.1)
