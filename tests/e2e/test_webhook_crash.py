"""kill -9 of the webhook sender in the middle of a stream of deliveries:
after a restart every event is delivered at least once, none is missing and
none is invented (production shape: PostgreSQL, `serve` without a sender,
`seatledger send-webhooks` as its own process)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Server, server_env, start_server, stop_server
from tests.e2e.helpers import ok, open_pool, pool_path, tenant
from tests.e2e.receiver import receiving

ENV = {
    "SEATLEDGER_WEBHOOKS_ALLOW_PRIVATE": "true",
    "SEATLEDGER_WEBHOOKS_IN_PROCESS": "false",
    "SEATLEDGER_WEBHOOKS_RETRY_S": "0.2,0.2,0.2,0.2,0.2",
}
COMMANDS = 60


@pytest.fixture
def stack(tmp_path: Path, pg_url: str) -> Iterator[tuple[Server, dict[str, str]]]:
    env = {**server_env("postgres", tmp_path, pg_url), **ENV}
    server = start_server(env, tmp_path)
    try:
        yield server, env
    finally:
        stop_server(server)


def sender(env: dict[str, str], workdir: Path) -> subprocess.Popen[bytes]:
    full = {**os.environ, **env}
    full.pop("SEATLEDGER_BOOTSTRAP_KEY", None)
    return subprocess.Popen(
        [sys.executable, "-m", "infra.cli", "send-webhooks"],
        env=full,
        cwd=workdir,
        stdout=(workdir / "sender.log").open("ab"),
        stderr=subprocess.STDOUT,
    )


def assign_many(c: httpx.Client, tid: str, start: int, count: int) -> None:
    for i in range(start, start + count):
        r = c.post(f"{pool_path(tid)}/assignments", json={"holder_id": f"h{i}"})
        assert r.status_code == 201, r.text


def test_kill_9_of_the_sender_loses_and_invents_no_delivery(
    stack: tuple[Server, dict[str, str]], tmp_path: Path
) -> None:
    server, env = stack
    with receiving() as receiver, server.client() as c:
        tid = tenant(c)["tenant_id"]
        open_pool(c, tid, 1000)
        where = "/crash"
        receiver.delay_s[where] = 0.01  # attempts are in flight when it dies
        made = ok(
            c.post(
                "/v1/webhook-endpoints",
                json={"url": receiver.url(where), "tenant_id": tid},
            ),
            201,
        )
        first = sender(env, tmp_path)
        writer = threading.Thread(target=assign_many, args=(c, tid, 0, COMMANDS))
        writer.start()
        receiver.wait(lambda: len(receiver.at(where)) >= 15)
        first.kill()  # SIGKILL: no chance to record anything more
        first.wait()
        writer.join()
        assign_many(c, tid, COMMANDS, 10)  # commands go on with no sender
        second = sender(env, tmp_path)
        try:
            wanted = _events_after(c, tid, made)
            receiver.wait(lambda: wanted <= {r.id for r in receiver.at(where)}, 60)
            received = {r.id for r in receiver.at(where)}
            print(f"\n{len(wanted)} events, {len(receiver.at(where))} deliveries")
            assert received <= wanted, "a delivery no event asked for"
            for got in receiver.at(where):
                got.verified(made["secret"])
        finally:
            second.terminate()
            second.wait(timeout=30)


def _events_after(c: httpx.Client, tid: str, made: dict[str, object]) -> set[str]:
    """The tenant's events after the endpoint's, but not the endpoint's own."""
    found: set[str] = set()
    after = int(str(made["position"]))
    while True:
        page = ok(c.get("/v1/events", params={"tenant_id": tid, "after": after}))
        found |= {
            e["event_id"]
            for e in page["events"]
            if e["aggregate_id"] != made["endpoint_id"]
        }
        if page["next_after"] is None or not page["events"]:
            return found
        after = page["next_after"]
