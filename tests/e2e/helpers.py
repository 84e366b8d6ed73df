"""Small helpers the e2e modules share."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx

PROBLEM = "application/problem+json"


def problem(r: httpx.Response, status: int, code: str) -> dict:
    """Asserts an RFC 9457 problem document with this status and code."""
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert body["code"] == code and body["status"] == status, body
    assert body["type"] and body["title"] and body["detail"]
    return dict(body)


def ok(r: httpx.Response, status: int = 200) -> dict:
    """The JSON body of a response that has this status."""
    assert r.status_code == status, r.text
    return dict(r.json())


def bad_fields(r: httpx.Response) -> set[str]:
    """The fields a 422 validation_error problem names."""
    return {e["field"] for e in problem(r, 422, "validation_error")["errors"]}


def pick(d: dict, *keys: str) -> tuple:
    return tuple(d[k] for k in keys)


def day(offset: int) -> str:
    """The ISO date `offset` days from today (UTC)."""
    return (datetime.now(UTC).date() + timedelta(days=offset)).isoformat()


def uniq(prefix: str = "Acme") -> str:
    return f"{prefix} {uuid.uuid4().hex[:10]}"


def tenant(c: httpx.Client, **body: object) -> dict:
    r = c.post("/v1/tenants", json={"name": uniq(), **body})
    assert r.status_code == 201, r.text
    return dict(r.json())


def head(c: httpx.Client) -> int:
    return int(c.get("/readyz").json()["store_position"])


def multi(c: httpx.Client, **body: object) -> dict:
    """A new tenant with a booked `multi_tenant` license."""
    t = tenant(c, **body)
    r = c.post(
        f"/v1/tenants/{t['tenant_id']}/licenses", json={"feature": "multi_tenant"}
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def pool_path(tid: str, pool: str = "jobs") -> str:
    return f"/v1/tenants/{tid}/seats/{pool}"


def open_pool(c: httpx.Client, tid: str, limit: int, **extra: object) -> dict:
    r = c.put(pool_path(tid), json={"limit": limit, **extra})
    assert r.status_code == 200, r.text
    return dict(r.json())


def assign(c: httpx.Client, tid: str, *holders: str) -> dict:
    """Assigns the `jobs` pool's seats to `holders`; the pool after the last."""
    pool: dict = {}
    for h in holders:
        r = c.post(f"{pool_path(tid)}/assignments", json={"holder_id": h})
        assert r.status_code == 201, r.text
        pool = r.json()
    return pool
