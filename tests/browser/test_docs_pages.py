"""/docs and /redoc in a real browser with no other host reachable: they
render, and "Authorize" with a key makes "Try it out" answer 200."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.support import EVENTUALLY_MS, OpenConsole
from tests.e2e.conftest import Server


def test_swagger_ui_works_offline_and_authorize_sends_the_key(
    open_console: OpenConsole, srv: Server
) -> None:
    docs = open_console(path="/docs")
    page = docs.page
    page.locator("button.authorize").first.click()
    page.locator(".modal-ux input").first.fill(srv.key)
    page.locator(".modal-ux button.authorize").click()
    page.locator(".modal-ux button.btn-done").click()
    operation = page.locator("#operations-tenants-list_tenants_v1_tenants_get")
    operation.locator(".opblock-summary").click()
    operation.locator("button.try-out__btn").click()
    operation.locator("button.execute").click()
    status = operation.locator(".live-responses-table tbody .response-col_status").first
    expect(status).to_contain_text("200", timeout=EVENTUALLY_MS)
    operation.scroll_into_view_if_needed()
    docs.shot("1-swagger-ui-try-it-out", full_page=False)


def test_redoc_renders_offline(open_console: OpenConsole) -> None:
    redoc = open_console(path="/redoc")
    expect(redoc.page.locator("h1").first).to_contain_text(
        "seatledger", timeout=EVENTUALLY_MS
    )
    expect(redoc.page.locator("h2", has_text="List Tenants")).to_be_visible()
    redoc.shot("1-redoc", full_page=False)
