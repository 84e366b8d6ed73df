"""/docs and /redoc work without internet (every asset from this server),
and the OpenAPI document declares the bearer scheme behind "Authorize"."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.e2e.conftest import Server


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_pages_load_everything_from_this_server(
    srv: Server, page: str
) -> None:
    with httpx.Client(base_url=srv.base_url) as anonymous:
        html = anonymous.get(page)
        assert html.status_code == 200
        urls = re.findall(r"""(?:src|href|url)\s*[:=]\s*['"]([^'"]+)['"]""", html.text)
        assert urls, html.text
        for url in urls:
            assert url.startswith("/"), f"{page} loads {url} from elsewhere"
            assert anonymous.get(url).status_code == 200, url


def test_every_v1_operation_needs_the_bearer_scheme(srv: Server) -> None:
    with httpx.Client(base_url=srv.base_url) as anonymous:
        spec = anonymous.get("/openapi.json").json()
    scheme = spec["components"]["securitySchemes"]["bearer"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            expected = [{"bearer": []}] if path.startswith("/v1") else None
            assert operation.get("security") == expected, (method, path)
