"""Small helpers the e2e modules share."""

from __future__ import annotations

import uuid

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


def uniq(prefix: str = "Acme") -> str:
    return f"{prefix} {uuid.uuid4().hex[:10]}"


def tenant(c: httpx.Client, **body: object) -> dict:
    r = c.post("/v1/tenants", json={"name": uniq(), **body})
    assert r.status_code == 201, r.text
    return dict(r.json())


def head(c: httpx.Client) -> int:
    return int(c.get("/readyz").json()["store_position"])
