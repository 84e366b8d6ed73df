"""Racing HTTP clients against one real server: seats are never oversold,
sibling names stay unique, and parents never hand out more than they have."""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.e2e.conftest import Server
from tests.e2e.helpers import PROBLEM


def _race(server: Server, calls: list[tuple[str, str, dict]], workers: int = 20):
    """Runs the calls at once (a barrier lines the workers up); each worker
    thread has its own client, so the requests really overlap."""
    local = threading.local()
    barrier = threading.Barrier(min(workers, len(calls)))
    clients: list[httpx.Client] = []
    lock = threading.Lock()

    def client() -> httpx.Client:
        if not hasattr(local, "c"):
            local.c = server.client()
            with lock:
                clients.append(local.c)
        return local.c

    def call(spec: tuple[str, str, dict]) -> httpx.Response:
        method, path, body = spec
        c = client()
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=10)  # broken when fewer calls are left: just go
        return c.request(method, path, json=body)

    try:
        with ThreadPoolExecutor(workers) as pool:
            return list(pool.map(call, calls))
    finally:
        for c in clients:
            c.close()


def _tally(responses: list[httpx.Response]) -> Counter[tuple[int, str | None]]:
    tally: Counter[tuple[int, str | None]] = Counter()
    for r in responses:
        assert r.status_code < 500, r.text
        code = r.json().get("code") if r.status_code >= 400 else None
        if r.status_code >= 400:
            assert r.headers["content-type"].startswith(PROBLEM)
        tally[(r.status_code, code)] += 1
    return tally


def _tenant(c: httpx.Client, **body: object) -> str:
    r = c.post("/v1/tenants", json={"name": f"race-{uuid.uuid4().hex[:8]}", **body})
    assert r.status_code == 201, r.text
    return str(r.json()["tenant_id"])


def test_forty_racing_assignments_fill_exactly_ten_seats(server: Server) -> None:
    with server.client() as c:
        tid = _tenant(c)
        assert c.put(f"/v1/tenants/{tid}/seats/jobs", json={"limit": 10}).is_success
        path = f"/v1/tenants/{tid}/seats/jobs/assignments"
        calls = [("POST", path, {"holder_id": f"holder-{i}"}) for i in range(40)]

        tally = _tally(_race(server, calls))

        assert tally == {(201, None): 10, (409, "quota_exhausted"): 30}
        pool = c.get(f"/v1/tenants/{tid}/seats/jobs").json()
        assert pool["used"] == pool["limit"] == 10
        assert pool["available"] == 0
        assert pool["level"] == "full"
        head = pool["position"]
        holders = c.get(path, params={"min_position": head, "wait_ms": 5000})
        assert holders.status_code == 200, holders.text
        assert len(holders.json()["holders"]) == 10


def test_racing_creations_of_one_sibling_name_make_one_tenant(srv: Server) -> None:
    name = f"Twin {uuid.uuid4().hex[:6]}"
    spellings = [name, name.upper(), f"  {name.lower()} ", f"{name}\t"]
    calls = [("POST", "/v1/tenants", {"name": spellings[i % 4]}) for i in range(12)]

    tally = _tally(_race(srv, calls, workers=12))

    assert tally == {(201, None): 1, (409, "already_exists"): 11}


def test_racing_sub_tenant_allocations_never_exceed_the_parent(
    srv: Server,
) -> None:
    with srv.client() as c:
        parent = _tenant(c)
        assert c.post(
            f"/v1/tenants/{parent}/licenses", json={"feature": "multi_tenant"}
        ).is_success
        assert c.put(f"/v1/tenants/{parent}/seats/jobs", json={"limit": 10}).is_success
        children = [_tenant(c, parent_id=parent) for _ in range(8)]
        calls = [("PUT", f"/v1/tenants/{k}/seats/jobs", {"limit": 3}) for k in children]

        tally = _tally(_race(srv, calls, workers=8))

        assert tally == {(200, None): 3, (409, "quota_exhausted"): 5}
        pool = c.get(f"/v1/tenants/{parent}/seats/jobs").json()
        assert pool["allocated"] == 9
        assert pool["available"] == 1
        assert pool["used"] + pool["reserved"] + pool["allocated"] <= pool["limit"]
