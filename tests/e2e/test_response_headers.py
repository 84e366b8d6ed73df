"""Every answer carries Cache-Control: no-store and X-Content-Type-Options:
nosniff, and none names the server software."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.conftest import Server, running_server

UNKNOWN = "00000000-0000-4000-8000-000000000000"


@pytest.fixture(scope="module")
def one(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One SQLite server: the headers do not depend on the store."""
    with running_server("sqlite", tmp_path_factory.mktemp("headers"), None) as s:
        yield s


def answers(srv: Server) -> Iterator[tuple[str, httpx.Response]]:
    with srv.client() as op, httpx.Client(base_url=srv.base_url) as anonymous:
        yield "healthz", anonymous.get("/healthz")
        yield "metrics", anonymous.get("/metrics")
        yield "docs", anonymous.get("/docs")
        yield "unauthorized", anonymous.get("/v1/events")
        t = op.post("/v1/tenants", json={"name": f"Headers {uuid.uuid4()}"})
        yield "created", t
        key = {"name": "k", "role": "auditor", "tenant_id": t.json()["tenant_id"]}
        yield "new secret", op.post("/v1/api-keys", json=key)
        yield "not found", op.get(f"/v1/tenants/{UNKNOWN}")
        yield "too large", op.post("/v1/tenants", content=b"x" * (2 * 1024 * 1024))
        report = f"/v1/tenants/{t.json()['tenant_id']}/reports/active-users"
        yield "csv", op.get(report, params={"format": "csv"})


def test_every_answer_is_not_stored_not_sniffed_and_names_no_server(
    one: Server,
) -> None:
    statuses = {}
    for what, r in answers(one):
        statuses[what] = r.status_code
        assert r.headers.get_list("cache-control") == ["no-store"], what
        assert r.headers.get_list("x-content-type-options") == ["nosniff"], what
        assert "server" not in r.headers, what
    assert statuses == {
        "healthz": 200,
        "metrics": 200,
        "docs": 200,
        "unauthorized": 401,
        "created": 201,
        "new secret": 201,
        "not found": 404,
        "too large": 413,
        "csv": 200,
    }
