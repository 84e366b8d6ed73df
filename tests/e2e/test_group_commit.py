"""Group commit over HTTP, against real servers: a refused command in a batch
leaves nothing and disturbs no other; two `serve` processes on one PostgreSQL
never oversell; a `kill -9` in the middle of batches loses nothing that was
answered 2xx, and a command left unanswered took effect at most once."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Server, server_env, start_server, stop_server

ASSIGNED = "SeatAssigned"


def _tenant_with_pools(c: httpx.Client, **limits: int) -> str:
    tenant = c.post("/v1/tenants", json={"name": f"GC {time.monotonic_ns()}"})
    tenant_id = str(tenant.json()["tenant_id"])
    for pool, limit in limits.items():
        r = c.put(f"/v1/tenants/{tenant_id}/seats/{pool}", json={"limit": limit})
        assert r.status_code == 200, r.text
    return tenant_id


def _burst(servers: list[Server], calls: list[tuple[str, dict[str, Any]]]) -> list[int]:
    """POSTs all calls at once (a barrier lines the threads up), spread over
    the servers; returns the statuses in call order."""
    barrier = threading.Barrier(len(calls))

    def post(i: int) -> int:
        path, body = calls[i]
        with servers[i % len(servers)].client() as c:
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=10)
            return c.post(path, json=body).status_code

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(post, range(len(calls))))


def _events(c: httpx.Client, tenant_id: str) -> Counter[str]:
    """The tenant's stored events by type, every page."""
    found: Counter[str] = Counter()
    after: int | None = 0
    while after is not None:
        r = c.get(f"/v1/tenants/{tenant_id}/history", params={"after": after})
        assert r.status_code == 200, r.text
        found.update(e["type"] for e in r.json()["events"])
        after = r.json()["next_after"]
    return found


def _used(c: httpx.Client, tenant_id: str, pool: str) -> int:
    return int(c.get(f"/v1/tenants/{tenant_id}/seats/{pool}").json()["used"])


def test_a_refused_command_in_a_batch_leaves_no_event_and_spares_the_others(
    server: Server,
) -> None:
    with server.client() as c:
        tenant = _tenant_with_pools(c, small=3, large=1000)
    base = f"/v1/tenants/{tenant}/seats"
    calls = [(f"{base}/small/assignments", {"holder_id": f"s{i}"}) for i in range(12)]
    calls += [(f"{base}/large/assignments", {"holder_id": f"l{i}"}) for i in range(12)]
    calls += [(f"{base}/large/assignments", {"holder_id": "l0"})]  # a repeat

    statuses = _burst([server], calls)

    small, large = statuses[:12], statuses[12:]
    assert Counter(small) == {201: 3, 409: 9}  # the pool's 3 seats, then full
    assert Counter(large) == {201: 12, 409: 1}  # l0's second call is refused
    with server.client() as c:
        assert _used(c, tenant, "small") == 3
        assert _used(c, tenant, "large") == 12
        assert _events(c, tenant)[ASSIGNED] == 15  # nothing of the refused


@pytest.mark.parametrize("workers", [1, 2])
def test_two_serve_processes_on_one_postgresql_never_oversell(
    pg_url: str, tmp_path: Path, workers: int
) -> None:
    """Two servers; with workers=2 each is `serve --workers 2`: four buses."""
    env = server_env("postgres", tmp_path, pg_url)
    args = ("--workers", str(workers)) if workers > 1 else ()
    servers = []
    try:
        for name in ("a", "b"):
            workdir = tmp_path / name
            workdir.mkdir()
            servers.append(start_server(env, workdir, args=args))
        with servers[0].client() as c:
            tenant = _tenant_with_pools(c, seats=10)
        path = f"/v1/tenants/{tenant}/seats/seats/assignments"
        for round_ in range(3):  # each server's bus has the pool cached by now
            calls = [(path, {"holder_id": f"r{round_}-{i}"}) for i in range(24)]
            statuses = _burst(servers, calls)
            assert statuses.count(201) == (10 if round_ == 0 else 0), statuses
            assert set(statuses) <= {201, 409}
        for server in servers:
            with server.client() as c:
                assert _used(c, tenant, "seats") == 10
        with servers[1].client() as c:
            assert _events(c, tenant)[ASSIGNED] == 10
    finally:
        for server in servers:
            stop_server(server)


def _assign_with_keys(
    server: Server, path: str, holders: list[str], answered: dict[str, int]
) -> None:
    """Each holder's assignment with its own Idempotency-Key, from 16
    threads; records the 2xx answers (a dead server answers nothing)."""

    def one(holder: str) -> None:
        with server.client() as c, contextlib.suppress(httpx.TransportError):
            r = c.post(
                path, json={"holder_id": holder}, headers={"Idempotency-Key": holder}
            )
            if r.status_code < 300:
                answered[holder] = r.status_code

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(one, holders))


@pytest.mark.parametrize("backend", ["postgres", "sqlite"])
def test_kill_9_mid_batch_loses_no_answered_command_and_repeats_none(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    pg = str(request.getfixturevalue("pg_url")) if backend == "postgres" else None
    env = server_env(backend, tmp_path, pg)
    server = start_server(env, tmp_path)
    with server.client() as c:
        tenant = _tenant_with_pools(c, seats=100_000)
    path = f"/v1/tenants/{tenant}/seats/seats/assignments"
    holders = [f"k{i}" for i in range(600)]
    answered: dict[str, int] = {}
    load = threading.Thread(
        target=_assign_with_keys, args=(server, path, holders, answered)
    )
    load.start()
    deadline = time.monotonic() + 30
    while len(answered) < 50 and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(server.process.pid, signal.SIGKILL)  # in the middle of batches
    server.process.wait()
    load.join()
    assert 50 <= len(answered) < len(holders)  # some answered, some not

    server = start_server(env, tmp_path)
    try:
        with server.client() as c:
            for holder in holders:
                started = time.monotonic()
                r = c.post(
                    path,
                    json={"holder_id": holder},
                    headers={"Idempotency-Key": holder},
                )
                # At once, not after some lock's timeout (the issue asks for
                # within a second; the bound is generous for a loaded machine).
                assert time.monotonic() - started < 5.0
                assert r.status_code == 201, r.text
                if holder in answered:  # recorded: answered again from the record
                    assert r.headers.get("idempotent-replayed") == "true"
            # Each holder holds one seat: none lost, none taken twice.
            assert _used(c, tenant, "seats") == len(holders)
            assert _events(c, tenant)[ASSIGNED] == len(holders)
    finally:
        stop_server(server)
