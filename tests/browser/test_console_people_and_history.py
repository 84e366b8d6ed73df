"""The console's members, invitations and usage-history panels in a real
browser: why each member counts (future starters included), the pending
invitations with revoke for a key that manages the tenant, and a pool's
chart, forecast and numbers, each following a change without a reload."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from playwright.sync_api import expect

from tests.browser.support import EVENTUALLY_MS, OpenConsole, Story, assign
from tests.e2e.helpers import ok


def member(op: httpx.Client, tenant_id: str, email: str, **extra: str) -> str:
    body = {"email": email, "role": "member", **extra}
    made = ok(op.post(f"/v1/tenants/{tenant_id}/members", json=body), 201)
    return str(made["member_id"])


def test_members_say_why_each_counts_and_invitations_wait(
    open_console: OpenConsole, op: httpx.Client, story: Story
) -> None:
    base = f"/v1/tenants/{story.customer}"
    starts = (datetime.now(UTC).date() + timedelta(days=10)).isoformat()
    member(op, story.customer, "now@example.org")
    member(op, story.customer, "later@example.org", start_date=starts)
    resting = member(op, story.customer, "resting@example.org")
    ok(op.patch(f"{base}/members/{resting}", json={"status": "passive"}))
    body = {"email": "invited@example.org", "role": "member"}
    ok(op.post(f"{base}/invitations", json=body), 201)

    console = open_console()
    console.sign_in(story.partner_key)
    console.pick(story.customer)
    page = console.page
    later = page.locator('tr[data-member="later@example.org"]')
    expect(later).to_contain_text(f"future starter (starts {starts}): counts already")
    expect(later.locator("td").nth(5)).to_have_text("yes")
    resting_row = page.locator('tr[data-member="resting@example.org"]')
    expect(resting_row).to_contain_text("passive: does not count")
    expect(resting_row.locator("td").nth(5)).to_have_text("no")
    summary = page.locator('[data-summary="members"]')
    expect(summary).to_contain_text("2 active users on")
    expect(summary).to_contain_text("(of them 1 future starter)")
    invitations = page.locator('section[aria-labelledby="invitations-title"]')
    expect(invitations).to_contain_text("invited@example.org")
    revoke = invitations.get_by_role(
        "button", name="Revoke the invitation of invited@example.org"
    )
    expect(revoke).to_be_visible()
    console.shot("1-members-and-invitations")

    # Without a reload: a new future starter is counted, and a revoke in the
    # page empties the invitations.
    page.evaluate("window.notReloaded = true")
    member(op, story.customer, "soon@example.org", start_date=starts)
    expect(page.locator('tr[data-member="soon@example.org"]')).to_contain_text(
        "future starter", timeout=EVENTUALLY_MS
    )
    expect(summary).to_contain_text("3 active users on")
    revoke.click()
    expect(invitations).to_contain_text("None pending", timeout=EVENTUALLY_MS)
    assert page.evaluate("window.notReloaded") is True
    console.shot("2-after-a-new-starter-and-a-revoke")


def test_a_tenant_admin_sees_invitations_it_may_revoke_and_members(
    open_console: OpenConsole, op: httpx.Client, story: Story
) -> None:
    body = {"email": "invited@example.org", "role": "member"}
    ok(op.post(f"/v1/tenants/{story.customer}/invitations", json=body), 201)
    console = open_console()
    console.sign_in(story.admin_key)
    invitations = console.page.locator('section[aria-labelledby="invitations-title"]')
    expect(invitations).to_contain_text("invited@example.org")
    expect(invitations.get_by_role("button", name="Revoke")).to_have_count(1)
    expect(console.page.locator('[data-summary="members"]')).to_contain_text(
        "0 active users on"
    )


def test_the_usage_chart_its_forecast_and_numbers_follow_the_pool(
    open_console: OpenConsole, op: httpx.Client, story: Story
) -> None:
    console = open_console()
    console.sign_in(story.partner_key)
    console.pick(story.customer)
    page = console.page
    chart = page.locator('section[aria-labelledby="history-title"]')
    expect(chart.locator("svg[role=img]")).to_be_visible()
    expect(chart.locator("svg .usage").first).to_be_attached()
    expect(chart.locator("#chart-title")).to_have_text(
        "expenses: daily peak in use against the limit"
    )
    forecast = page.locator('[data-forecast="expenses"]')
    expect(forecast).to_contain_text("Forecast:")
    expect(forecast).to_contain_text("seats a day over the last 30 days")
    chart.locator("#history-table summary").click()
    today = datetime.now(UTC).date().isoformat()
    row = chart.locator("#history-table tbody tr").first
    expect(row.locator("td").nth(0)).to_have_text(today)
    expect(row.locator("td").nth(1)).to_have_text("3")  # peak in use today
    expect(row.locator("td").nth(3)).to_have_text("5")  # the limit
    console.shot("1-chart-30-days")

    # Another period: the forecast reads as much history as the chart shows.
    page.locator("#chart-days").select_option("90")
    expect(forecast).to_contain_text("over the last 90 days", timeout=EVENTUALLY_MS)
    expect(page.locator("#chart-days")).to_have_value("90")

    # A change shows without a reload: today's peak follows the pool.
    page.evaluate("window.notReloaded = true")
    assign(op, story.customer, "dan")
    expect(
        page.locator("#history-table tbody tr").first.locator("td").nth(1)
    ).to_have_text("4", timeout=EVENTUALLY_MS)
    assert page.evaluate("window.notReloaded") is True
    console.shot("2-chart-after-an-assignment")
