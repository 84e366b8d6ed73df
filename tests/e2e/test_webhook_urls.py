"""Registering a webhook URL that points into private networks is 422 when
SEATLEDGER_WEBHOOKS_ALLOW_PRIVATE is not set, and records nothing."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.conftest import Server
from tests.e2e.helpers import bad_fields, head, ok, tenant
from tests.e2e.matrix_support import module_server

REFUSED = [
    "http://127.0.0.1:8080/hook",
    "http://localhost/hook",  # a name that resolves to 127.0.0.1
    "https://10.0.0.7/hook",
    "http://192.168.0.1/hook",
    "http://169.254.169.254/latest/meta-data",
    "http://[::1]/hook",
    "http://[fe80::1]/hook",
    "http://0.0.0.0/hook",
    "http://224.0.0.1/hook",
    "http://[64:ff9b::a9fe:a9fe]/hook",  # NAT64 of 169.254.169.254
    "http://93.184.216.34:0/hook",  # port 0
    "http://no-such-host.invalid/hook",
    "ftp://93.184.216.34/hook",
    "https://user:pw@93.184.216.34/hook",
]


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with module_server(tmp_path_factory, "webhook-urls") as server:
        yield server


@pytest.fixture(scope="module")
def c(srv: Server) -> Iterator[httpx.Client]:
    with srv.client() as client:
        yield client


@pytest.mark.parametrize("url", REFUSED)
def test_a_private_or_bad_url_is_422_and_records_nothing(
    c: httpx.Client, url: str
) -> None:
    before = head(c)
    r = c.post("/v1/webhook-endpoints", json={"url": url})
    assert bad_fields(r) == {"url"}, r.text
    assert head(c) == before


def test_a_patch_to_a_private_url_is_422(c: httpx.Client) -> None:
    made = ok(
        c.post("/v1/webhook-endpoints", json={"url": "https://93.184.216.34/h"}), 201
    )
    e = f"/v1/webhook-endpoints/{made['endpoint_id']}"
    for url in ("http://127.0.0.1/h", "http://[64:ff9b::7f00:1]/h", "http://[::1]:0/h"):
        assert bad_fields(c.patch(e, json={"url": url})) == {"url"}, url
    assert ok(c.get(e))["url"] == "https://93.184.216.34/h"


def test_an_unknown_event_type_is_422(c: httpx.Client) -> None:
    t = tenant(c)
    body = {
        "url": "https://93.184.216.34/h",
        "tenant_id": t["tenant_id"],
        "event_types": ["UsageLevelChanged", "NoSuchEvent"],
    }
    r = c.post("/v1/webhook-endpoints", json=body)
    assert bad_fields(r) == {"event_types"}, r.text
