"""Hostile bodies over HTTP: size caps, undecodable JSON, odd content types and
characters a store may refuse. Never a 500."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.e2e.conftest import Server
from tests.e2e.helpers import PROBLEM, head, problem, tenant, uniq

MIB = 1024 * 1024
DEEP = b"[" * 50_000 + b"]" * 50_000  # valid JSON, far beyond any recursion limit


def big_tenant_body(size: int) -> bytes:
    """A JSON object of exactly `size` bytes."""
    frame = b'{"name": ""}'
    return frame[:-2] + b"n" * (size - len(frame)) + frame[-2:]


@pytest.mark.parametrize("size", [MIB + 1, 3 * MIB])
def test_a_body_over_one_mib_is_payload_too_large(c: httpx.Client, size: int) -> None:
    before = head(c)
    problem(
        c.post("/v1/tenants", content=big_tenant_body(size)), 413, "payload_too_large"
    )
    assert head(c) == before


def test_a_big_body_without_a_key_is_unauthorized(srv: Server) -> None:
    with httpx.Client(base_url=srv.base_url) as anonymous:
        r = anonymous.post("/v1/tenants", content=big_tenant_body(2 * MIB))
    problem(r, 401, "unauthorized")  # the key is checked before the body is read


def test_a_streamed_body_over_one_mib_is_payload_too_large(c: httpx.Client) -> None:
    def chunks():  # no Content-Length: chunked transfer encoding
        yield b'{"name": "'
        for _ in range(20):
            yield b"n" * 64 * 1024
        yield b'"}'

    r = c.post("/v1/tenants", content=chunks())
    problem(r, 413, "payload_too_large")


def test_a_body_of_exactly_one_mib_is_read(c: httpx.Client) -> None:
    r = c.post("/v1/tenants", content=big_tenant_body(MIB))
    problem(r, 422, "validation_error")  # read and judged: the name is too long


def test_json_sent_as_text_plain_is_read_as_json(c: httpx.Client) -> None:
    name = uniq()
    r = c.post(
        "/v1/tenants",
        content=f'{{"name": "{name}"}}'.encode(),
        headers={"Content-Type": "text/plain"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["name"] == name


def test_an_overlong_idempotency_key_is_a_validation_error(c: httpx.Client) -> None:
    r = c.post(
        "/v1/tenants", json={"name": uniq()}, headers={"Idempotency-Key": "k" * 256}
    )
    body = problem(r, 422, "validation_error")
    assert body["errors"][0]["field"] == "Idempotency-Key"


UNDECODABLE = [
    pytest.param(DEEP, id="deeply-nested"),
    pytest.param(b'{"name": "\xff\xfe"}', id="invalid-utf8"),
    pytest.param(b'\xef\xbb\xbf{"name": 1}', id="utf8-bom"),
]


@pytest.mark.parametrize("content", UNDECODABLE)
def test_undecodable_bodies_are_client_errors(c: httpx.Client, content: bytes) -> None:
    r = c.post("/v1/tenants", content=content)
    assert 400 <= r.status_code < 500, r.text
    assert r.headers["content-type"].startswith(PROBLEM)


@pytest.mark.parametrize("content", UNDECODABLE[:2])
def test_undecodable_bodies_are_validation_errors(
    c: httpx.Client, content: bytes
) -> None:
    problem(c.post("/v1/tenants", content=content), 422, "validation_error")


def test_deeply_nested_json_with_an_idempotency_key_is_a_client_error(
    srv: Server,
) -> None:
    with srv.client() as own:  # the server drops the connection after a 500
        r = own.post(
            "/v1/tenants", content=DEEP, headers={"Idempotency-Key": str(uuid.uuid4())}
        )
    assert 400 <= r.status_code < 500, r.text
    assert r.headers["content-type"].startswith(PROBLEM)


def test_a_nul_character_in_a_name_never_stalls_the_projections(
    server: Server, backend: str, request: pytest.FixtureRequest
) -> None:
    with server.client() as own:
        r = own.post("/v1/tenants", json={"name": f"Nul\u0000{uuid.uuid4().hex}"})
        assert r.status_code == 422, r.text
        later = tenant(own)
        tree = own.get(
            f"/v1/tenants/{later['tenant_id']}/tree",
            params={"min_position": later["position"], "wait_ms": 1500},
        )
        assert tree.status_code == 200, tree.text
