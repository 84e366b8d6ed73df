"""Receipts (the stored answers to repeated commands) are kept at least
SEATLEDGER_IDEMPOTENCY_TTL_H (72 h by default) and pruned after it, by
`seatledger prune-receipts` and by `serve` itself (at start, then hourly);
a repeat after that runs again. Time passes through the service's clock
(SEATLEDGER_CLOCK_OFFSET_DAYS), restarting on the same store."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import BACKENDS
from tests.e2e.conftest import KEY, server_env, start_server, stop_server
from tests.e2e.helpers import ok, tenant


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
