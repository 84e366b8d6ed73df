"""The billing card in the browser: a tenant's month per pool as the billing
report gives it, another month picked with the keyboard and kept through
live updates, a partner's sub-tenants on request, the CSV saved through a
Blob link (the key only ever in the Authorization header), and a tenant
admin's key, which the report refuses sub-tenants, not offered them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Locator, Request, expect

from tests.browser.support import (
    EVENTUALLY_MS,
    Console,
    OpenConsole,
    Story,
    assign,
    tenant,
)
from tests.e2e.conftest import Server
from tests.e2e.helpers import ok

COLUMNS = "days limit_end limit_max peak_used seat_days average_used end_used"


def report(client: httpx.Client, tenant_id: str, **query: str) -> Any:
    return ok(client.get(f"/v1/tenants/{tenant_id}/reports/billing", params=query))


def previous(month: str) -> str:
    year, number = map(int, month.split("-"))
    return f"{year - 1}-12" if number == 1 else f"{year}-{number - 1:02d}"


def card(console: Console) -> Locator:
    return console.page.get_by_role("region", name="Billing")


def cell(row: Locator, column: str) -> Locator:
    return row.locator(f'[data-col="{column}"]')


def test_a_month_per_pool_then_a_partner_s_sub_tenants_and_the_csv(
    open_console: OpenConsole, op: httpx.Client, story: Story
) -> None:
    assign(op, story.customer, "dan")  # 4 of 5 taken today
    expected = report(op, story.customer)  # the service's current month
    month, (line,) = expected["month"], expected["lines"]
    console = open_console()
    console.sign_in(story.partner_key)
    console.pick(story.customer)
    billing = card(console)
    picker = billing.get_by_label("Month", exact=True)
    expect(picker).to_have_value(month)
    row = billing.locator('tr[data-billing-pool="expenses"]')
    expect(cell(row, "peak_used")).to_have_text("4")
    assert int(cell(row, "days").inner_text()) == line["days"] >= 1
    headers = billing.locator('thead th[scope="col"]')
    expect(headers).to_have_count(8)
    expect(row.locator('th[scope="row"]')).to_have_text("expenses")
    # The customer has no sub-tenant: nothing to include.
    expect(billing.get_by_label("Include sub-tenants")).to_have_count(0)
    console.shot("1-customer-this-month")

    # The previous month, with the keyboard; a live update keeps it chosen.
    picker.focus()
    console.page.keyboard.press("ArrowDown")
    expect(picker).to_have_value(previous(month))
    said = billing.locator('[data-summary="billing"]')
    expect(said).to_contain_text("no pool was contracted")
    assign(op, story.customer, "eve")  # 5 of 5
    expect(story.pool(console)).to_contain_text("used 5", timeout=EVENTUALLY_MS)
    expect(picker).to_have_value(previous(month))
    expect(said).to_contain_text("no pool was contracted")
    billing.scroll_into_view_if_needed()
    console.shot("2-previous-month-kept-through-an-update", full_page=False)
    picker.select_option(month)
    expect(cell(row, "peak_used")).to_have_text("5", timeout=EVENTUALLY_MS)

    console.pick(story.partner)
    own = billing.locator(f'tr[data-billing-tenant="{story.partner}"]')
    expect(cell(own, "limit_end")).to_have_text("20")
    child = billing.locator(f'tr[data-billing-tenant="{story.customer}"]')
    expect(child).to_have_count(0)
    include = billing.get_by_label("Include sub-tenants")
    expect(include).not_to_be_checked()
    include.focus()
    console.page.keyboard.press("Space")
    expect(cell(child, "peak_used")).to_have_text("5", timeout=EVENTUALLY_MS)
    expect(child.locator('th[scope="row"]')).to_contain_text("Customer")
    # A live update (a seat freed) keeps the month and the sub-tenants.
    holder = f"/v1/tenants/{story.customer}/seats/expenses/assignments/anna"
    ok(op.delete(holder))
    expect(cell(child, "end_used")).to_have_text("4", timeout=EVENTUALLY_MS)
    expect(cell(child, "peak_used")).to_have_text("5")
    expect(include).to_be_checked()
    expect(picker).to_have_value(month)
    console.shot("3-partner-with-sub-tenants")
    saves_the_csv(console, story, month)


def saves_the_csv(console: Console, story: Story, month: str) -> None:
    asked: list[Request] = []
    console.page.on(
        "request", lambda r: asked.append(r) if "format=csv" in r.url else None
    )
    with console.page.expect_download() as saved:
        card(console).get_by_role("button", name="Download CSV").click()
    name = f"billing-{story.partner}-{month}-with-sub-tenants.csv"
    assert saved.value.suggested_filename == name
    rows = Path(saved.value.path()).read_text().splitlines()
    assert rows[0] == "tenant_id,tenant_name,pool," + COLUMNS.replace(" ", ",")
    assert any(r.startswith(f"{story.customer},Customer ") for r in rows[1:])
    expect(card(console)).to_contain_text(f"Saved {name}.")
    (request,) = asked
    assert story.partner_key not in request.url
    assert request.headers["authorization"] == f"Bearer {story.partner_key}"
    assert "include_subtenants=true" in request.url and f"month={month}" in request.url


def test_a_tenant_admin_key_is_not_offered_sub_tenants(
    open_console: OpenConsole, op: httpx.Client, srv: Server, story: Story
) -> None:
    licenses = f"/v1/tenants/{story.customer}/licenses"
    ok(op.post(licenses, json={"feature": "multi_tenant"}), 201)
    tenant(op, "Grandchild", story.customer)  # the customer has a sub-tenant
    with srv.client(story.admin_key) as admin:  # which this key may not read
        path = f"/v1/tenants/{story.customer}/reports/billing"
        refused = admin.get(path, params={"include_subtenants": "true"})
        assert refused.status_code == 403
    console = open_console(width=390, height=844)  # a phone
    console.sign_in(story.admin_key)
    billing = card(console)
    row = billing.locator('tr[data-billing-pool="expenses"]')
    expect(cell(row, "peak_used")).to_have_text("3")
    expect(billing.get_by_label("Include sub-tenants")).to_have_count(0)
    expect(billing.get_by_role("button", name="Download CSV")).to_be_visible()
    fits = console.page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )
    assert fits, "the page scrolls sideways on a narrow screen"
    billing.scroll_into_view_if_needed()
    console.shot("1-tenant-admin-on-a-phone", full_page=False)

    partner = open_console()  # the same tenant, for a key that reads subtrees
    partner.sign_in(story.partner_key)
    partner.pick(story.customer)
    expect(card(partner).get_by_label("Include sub-tenants")).to_have_count(1)
