"""The console in a real headless Chromium (Debian's package, installed with
apt when missing), driven by Playwright against a real `seatledger serve`.

Every page is opened in a context that lets requests reach the server under
test only: anything else is aborted and recorded, and the test fails. Each
test keeps a screenshot of every state it checks in its temporary folder."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Playwright, Route, sync_playwright

from infra.local.chromium import ARGS, ensure_installed
from tests.browser.support import Console, Story, assign, key, tenant
from tests.e2e.conftest import Server, running_server
from tests.e2e.helpers import ok


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/tests/browser/" in str(item.path):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = ensure_installed()
    launched = playwright.chromium.launch(
        executable_path=str(chromium), args=list(ARGS)
    )
    yield launched
    launched.close()


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server("sqlite", tmp_path_factory.mktemp("console"), None) as server:
        yield server


@pytest.fixture(scope="module")
def op(srv: Server) -> Iterator[httpx.Client]:
    with srv.client() as client:
        yield client


@pytest.fixture
def open_console(
    browser: Browser, srv: Server, tmp_path: Path
) -> Iterator[Callable[..., Console]]:
    """Opens /console (or `path`) in a fresh tab; afterwards, fails the test if any tab
    asked another host for anything or threw a script error."""
    host = urlsplit(srv.base_url).netloc
    opened: list[Console] = []

    def open_(width: int = 1280, height: int = 900, path: str = "/console") -> Console:
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        console = Console(page, tmp_path, [])

        def only_this_server(route: Route) -> None:
            if urlsplit(route.request.url).netloc == host:
                route.continue_()
            else:
                console.foreign.append(route.request.url)
                route.abort()

        context.route("**/*", only_this_server)
        page.on("pageerror", lambda e: console.errors.append(str(e)))
        opened.append(console)
        page.goto(f"{srv.base_url}{path}")
        return console

    yield open_
    for console in opened:
        console.page.context.close()
    assert [c.foreign for c in opened] == [[] for _ in opened], "requests elsewhere"
    assert [c.errors for c in opened] == [[] for _ in opened], "script errors"


@pytest.fixture
def story(op: httpx.Client) -> Story:
    partner = tenant(op, "Partner")
    ok(
        op.post(f"/v1/tenants/{partner}/licenses", json={"feature": "multi_tenant"}),
        201,
    )
    ok(op.put(f"/v1/tenants/{partner}/seats/expenses", json={"limit": 20}), 200)
    customer = tenant(op, "Customer", partner)
    ok(op.put(f"/v1/tenants/{customer}/seats/expenses", json={"limit": 5}), 200)
    assign(op, customer, "anna", "ben", "cleo")
    return Story(
        partner,
        customer,
        key(op, "partner", partner),
        key(op, "tenant_admin", customer),
    )
