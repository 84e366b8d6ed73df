"""Story 3 in the browser: a tenant admin orders seats in the console; the
partner's console offers approve and reject (the admin's does not), and an
approval raises the limit on both pages at once."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.support import EVENTUALLY_MS, Console, OpenConsole, Story


def place(console: Console, seats: str, note: str) -> None:
    form = console.page.locator('form[aria-label="Order more seats"]')
    form.locator("select[name=pool]").select_option("expenses")
    form.locator("input[name=quantity]").fill(seats)
    form.locator("input[name=note]").fill(note)
    form.locator("button[type=submit]").click()


def test_an_order_placed_by_the_tenant_is_decided_by_its_partner(
    open_console: OpenConsole, story: Story
) -> None:
    admin = open_console()
    admin.sign_in(story.admin_key)
    place(admin, "3", "team grows")
    rows = admin.page.locator("tr[data-order]")
    expect(rows).to_have_count(1, timeout=EVENTUALLY_MS)
    expect(rows.first).to_contain_text("placed")
    expect(admin.page.locator('[data-action="approve"]')).to_have_count(0)
    admin.shot("1-tenant-admin-placed-an-order")

    partner = open_console()
    partner.sign_in(story.partner_key)
    partner.pick(story.customer)
    order = partner.page.locator("tr[data-order]")
    expect(order).to_contain_text("team grows")
    partner.shot("2-partner-sees-approve-and-reject")
    order.locator('[data-action="approve"]').click()
    expect(order).to_contain_text("fulfilled", timeout=EVENTUALLY_MS)
    expect(story.pool(partner)).to_contain_text("limit 8")
    # The tenant admin's page follows without a reload.
    expect(story.pool(admin)).to_contain_text("limit 8", timeout=EVENTUALLY_MS)
    expect(rows.first).to_contain_text("fulfilled")

    place(admin, "50", "a lot")
    big = partner.page.locator("tr[data-order]", has_text="a lot")
    expect(big).to_contain_text("placed", timeout=EVENTUALLY_MS)
    big.locator("input").fill("exceeds the contract")
    big.locator('[data-action="reject"]').click()
    expect(big).to_contain_text(
        "rejected (exceeds the contract)", timeout=EVENTUALLY_MS
    )
    expect(story.pool(admin)).to_contain_text("limit 8")
    admin.shot("3-tenant-admin-after-the-decisions")
