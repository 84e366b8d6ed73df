"""The event store goes away under a running server (PostgreSQL only: a second
throwaway cluster is stopped): writes are 503 `unavailable` with Retry-After,
reads are never a 500."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

import httpx
import pytest

from infra.eventstore.persistence import NAME
from infra.local.postgres import throwaway_cluster
from tests.e2e.conftest import Server, start_server

PROBLEM = "application/problem+json"
# A failed store call is tried twice (infra/store.py; eventsourcing's own
# recorders try 10 times), each attempt waiting this long for a pooled
# connection (the shipped default is 5 s, so ~10 s per 503). An
# environment variable <APPLICATION NAME>_POSTGRES_CONNECT_TIMEOUT overrides
# the library's POSTGRES_CONNECT_TIMEOUT that the settings pass.
CONNECT_TIMEOUT_S = 1
CONNECT_TIMEOUT_VAR = f"{NAME.upper()}_POSTGRES_CONNECT_TIMEOUT"

Timed = tuple[float, httpx.Response]


def _timed(server: Server, method: str, path: str, **kw: object) -> Timed:
    with httpx.Client(
        base_url=server.base_url,
        headers={"Authorization": f"Bearer {server.key}"},
        timeout=120,
    ) as c:
        started = time.monotonic()
        r = c.request(method, path, **kw)  # type: ignore[arg-type]
        return time.monotonic() - started, r


def body(json: dict, headers: dict | None = None) -> dict:
    return {"json": json, "headers": headers or {}}


@pytest.fixture(scope="module")
def store_down(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """Every call below is sent at once, right after the store stopped; the
    tests then judge the answers (the slow ones overlap instead of queueing)."""
    workdir = tmp_path_factory.mktemp("store-down")
    with throwaway_cluster() as cluster:
        env = {
            "SEATLEDGER_DATABASE_URL": cluster.url,
            "SEATLEDGER_DATA_DIR": str(workdir / "data"),
            "SEATLEDGER_LOG_JSON": "true",
            CONNECT_TIMEOUT_VAR: str(CONNECT_TIMEOUT_S),
        }
        server = start_server(env, workdir)
        try:
            with server.client() as c:
                # One tenant per call below: calls on one aggregate queue behind
                # each other's retries (the cache's fast-forward lock).
                t = {}
                for name in ("assign", "rename", "get", "pool"):
                    r = c.post("/v1/tenants", json={"name": f"Before: {name}"})
                    assert r.status_code == 201, r.text
                    t[name] = f"/v1/tenants/{r.json()['tenant_id']}"
                for name in ("assign", "pool"):
                    r = c.put(f"{t[name]}/seats/jobs", json={"limit": 3})
                    assert r.status_code == 200, r.text
        except BaseException:
            server.process.kill()
            raise
    # The cluster is stopped and deleted now.
    key = {"Idempotency-Key": str(uuid.uuid4())}
    seats = f"{t['assign']}/seats/jobs/assignments"
    calls: dict[str, tuple[str, str, dict]] = {
        "create tenant": ("POST", "/v1/tenants", body({"name": "During"})),
        "assign seat": ("POST", seats, body({"holder_id": "h"})),
        "rename": ("PATCH", t["rename"], body({"name": "Renamed"})),
        "idempotent create": ("POST", "/v1/tenants", body({"name": "Keyed"}, key)),
        "get tenant": ("GET", t["get"], {}),
        "get pool": ("GET", f"{t['pool']}/seats/jobs", {}),
        "usage": ("GET", f"{t['pool']}/usage", {}),
        "tree": ("GET", f"{t['pool']}/tree", {}),
        "holders": ("GET", f"{t['pool']}/seats/jobs/assignments", {}),
        "readyz": ("GET", "/readyz", {}),
        "healthz": ("GET", "/healthz", {}),
    }  # fmt: skip
    pool = ThreadPoolExecutor(len(calls))
    try:
        futures: dict[str, Future[Timed]] = {
            name: pool.submit(_timed, server, method, path, **kw)
            for name, (method, path, kw) in calls.items()
        }
        yield futures
    finally:
        server.process.kill()
        server.process.wait(timeout=15)
        pool.shutdown(wait=True, cancel_futures=True)


def _unavailable(r: httpx.Response) -> None:
    assert r.status_code == 503, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    assert r.json()["code"] == "unavailable"
    assert int(r.headers["retry-after"]) > 0


@pytest.mark.parametrize("call", ["create tenant", "assign seat", "rename"])
def test_a_write_with_the_store_down_is_503_unavailable_with_retry_after(
    store_down: dict, call: str
) -> None:
    _, r = store_down[call].result(timeout=120)
    _unavailable(r)


@pytest.mark.parametrize(
    "call", ["get tenant", "get pool", "usage", "tree", "holders", "readyz"]
)
def test_a_read_with_the_store_down_is_never_a_500(store_down: dict, call: str) -> None:
    _, r = store_down[call].result(timeout=120)
    assert r.status_code < 500 or r.status_code == 503, r.text
    if r.status_code == 503:
        assert int(r.headers["retry-after"]) > 0


def test_liveness_does_not_depend_on_the_store(store_down: dict) -> None:
    elapsed, r = store_down["healthz"].result(timeout=120)
    assert r.status_code == 200 and elapsed < 5


def test_an_idempotent_write_with_the_store_down_is_503_unavailable(
    store_down: dict,
) -> None:
    _, r = store_down["idempotent create"].result(timeout=120)
    _unavailable(r)


@pytest.mark.parametrize("call", ["create tenant", "assign seat", "rename"])
def test_a_write_with_the_store_down_fails_fast(store_down: dict, call: str) -> None:
    """Each store call is tried twice (infra/store.py), not eventsourcing's ten
    times, so the 503 comes after about two connect timeouts."""
    elapsed, r = store_down[call].result(timeout=120)
    assert r.status_code == 503
    assert elapsed < 4 * CONNECT_TIMEOUT_S, elapsed
