"""The console's accessibility in each state a person meets: labelled
controls, text alternatives, a language and a title, and AA contrast
(tests/browser/a11y.js, run in the page), on a wide and a narrow screen.
The audit is checked against a page made to fail it, so it cannot pass by
finding nothing."""

from __future__ import annotations

from pathlib import Path

import httpx
from playwright.sync_api import expect

from tests.browser.support import EVENTUALLY_MS, Console, OpenConsole, Story, assign

AUDIT = (Path(__file__).parent / "a11y.js").read_text()


def audit(console: Console, state: str) -> list[str]:
    console.shot(state)
    found: list[str] = console.page.evaluate(AUDIT)
    return [f"{state}: {problem}" for problem in found]


def test_the_audit_finds_what_it_looks_for(open_console: OpenConsole) -> None:
    console = open_console()
    console.page.goto("about:blank")  # away from the console's CSP: inline styles
    console.page.set_content(
        "<html><body style='background:#fff'>"
        "<input id=nameless><button></button><img src=x width=20 height=20>"
        "<p style='color:#bbb'>pale text</p></body></html>"
    )
    found = console.page.evaluate(AUDIT)
    assert any("no lang" in p for p in found)
    assert any("no title" in p for p in found)
    assert any("no accessible name: <input#nameless>" in p for p in found)
    assert any("no accessible name: <button>" in p for p in found)
    assert any("no text alternative: <img>" in p for p in found)
    assert any("contrast" in p and "pale text" in p for p in found)


def test_every_state_of_the_console_passes_the_audit(
    open_console: OpenConsole, op: httpx.Client, story: Story
) -> None:
    problems: list[str] = []
    partner = open_console()
    problems += audit(partner, "1-sign-in")
    partner.page.locator("#api-key").fill("sl_not_a_real_key")
    partner.page.locator("#api-key").press("Enter")
    expect(partner.page.locator("#sign-in-error")).to_be_visible()
    problems += audit(partner, "2-refused")

    assign(op, story.customer, "dan")  # 4 of 5: the warning banner
    partner.sign_in(story.partner_key)
    partner.pick(story.customer)
    pool = story.pool(partner)
    expect(pool.locator('[data-banner="warning"]')).to_be_visible()
    problems += audit(partner, "3-partner-warning")

    admin = open_console(width=390, height=844)  # a phone
    admin.sign_in(story.admin_key)
    assign(op, story.customer, "eve")  # 5 of 5: paused
    admin_pool = story.pool(admin)
    expect(admin_pool.locator('[data-banner="full"]')).to_be_visible(
        timeout=EVENTUALLY_MS
    )
    order = admin.page.locator('form[aria-label="Order more seats"]')
    order.locator("select[name=pool]").select_option("expenses")
    order.locator("input[name=quantity]").fill("2")
    order.locator("button[type=submit]").click()
    expect(admin.page.locator("tr[data-order]")).to_have_count(1, timeout=EVENTUALLY_MS)
    problems += audit(admin, "4-tenant-admin-paused-phone")

    expect(partner.page.locator('[data-action="approve"]')).to_be_visible(
        timeout=EVENTUALLY_MS
    )
    problems += audit(partner, "5-partner-paused-with-an-order")
    assert problems == []
