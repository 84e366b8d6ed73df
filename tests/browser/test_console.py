"""The operator console as a person uses it, in a real browser: sign in, the
tree, a pool crossing its warning threshold and filling up while the page
is open, a partner raising the contract from another session, what a tenant
admin's key sees, a refused key. Screenshots of each state are kept in the
test's temporary folder."""

from __future__ import annotations

import time

import httpx
from playwright.sync_api import expect

from tests.browser.support import EVENTUALLY_MS, OpenConsole, Story, assign, tenant
from tests.e2e.conftest import Server
from tests.e2e.helpers import ok


def test_sign_in_with_the_keyboard_shows_the_tree(
    open_console: OpenConsole, srv: Server, story: Story
) -> None:
    console = open_console()
    page = console.page
    console.shot("1-sign-in")
    console.sign_in(story.partner_key)
    tree = page.locator("#tree")
    expect(tree.locator(f'a[data-tenant="{story.partner}"]')).to_be_visible()
    expect(tree.locator(f'li li a[data-tenant="{story.customer}"]')).to_be_visible()
    # Keyboard only: tab to the customer's link, open it with Enter.
    link = tree.locator(f'a[data-tenant="{story.customer}"]')
    for _ in range(40):
        page.keyboard.press("Tab")
        if link.evaluate("el => el === document.activeElement"):
            break
    page.keyboard.press("Enter")
    expect(page.locator("#tenant-title")).to_contain_text("Customer")
    expect(story.pool(console)).to_contain_text("used 3")
    console.shot("2-signed-in-partner-tree")
    # The key is in this tab's session storage only: not in the address, not
    # in the server's log.
    assert story.partner_key not in page.url
    stored = page.evaluate("sessionStorage.getItem('seatledger.key')")
    assert stored == story.partner_key
    assert story.partner_key not in srv.log.read_text()
    page.locator("#sign-out").click()
    expect(page.locator("#sign-in")).to_be_visible()
    assert page.evaluate("sessionStorage.length") == 0


def test_a_pool_crossing_80_percent_shows_the_banner_without_a_reload(
    open_console: OpenConsole, op: httpx.Client, story: Story
) -> None:
    console = open_console()
    console.sign_in(story.partner_key)
    console.pick(story.customer)
    pool = story.pool(console)
    expect(pool.locator("[data-banner]")).to_have_count(0)
    console.shot("1-three-of-five")
    console.page.evaluate("window.notReloaded = true")
    assign(op, story.customer, "dan")  # 4 of 5: 80 %
    banner = pool.locator('[data-banner="warning"]')
    expect(banner).to_be_visible(timeout=EVENTUALLY_MS)
    expect(banner).to_contain_text("4 of 5 expenses seats are taken (80 %)")
    assert console.page.evaluate("window.notReloaded") is True
    console.shot("2-warning-banner")


def test_at_100_percent_adding_is_paused_with_its_reason(
    open_console: OpenConsole, op: httpx.Client, story: Story
) -> None:
    console = open_console()
    console.sign_in(story.admin_key)
    pool = story.pool(console)
    add = pool.locator('button[data-action="add"]')
    expect(add).to_be_enabled()
    assign(op, story.customer, "dan", "eve")  # 5 of 5
    expect(add).to_be_disabled(timeout=EVENTUALLY_MS)
    reason = pool.locator('[data-banner="full"]')
    expect(reason).to_contain_text("Adding is paused")
    expect(reason).to_contain_text("5 of 5 expenses seats are taken (100 %)")
    # Who can lift it: not this key (a tenant cannot raise its own limits,
    # and this key does not even see the partner's tenant).
    expect(reason).to_contain_text("the partner above this tenant or the operator")
    expect(reason).to_contain_text("place a license order")
    described = add.get_attribute("aria-describedby")
    assert described and console.page.locator(f"#{described}").is_visible()
    expect(pool.locator('[data-action="set-limit"]')).to_have_count(0)
    console.shot("1-paused-at-100")


def test_a_partner_raising_the_limit_in_another_session_resumes_adding(
    open_console: OpenConsole, op: httpx.Client, story: Story
) -> None:
    assign(op, story.customer, "dan", "eve")  # full before anyone looks
    admin = open_console()
    admin.sign_in(story.admin_key)
    add = story.pool(admin).locator('button[data-action="add"]')
    expect(add).to_be_disabled()
    partner = open_console()
    partner.sign_in(story.partner_key)
    partner.pick(story.customer)
    form = story.pool(partner)
    form.locator("input[name=limit]").fill("8")
    with partner.page.expect_response(lambda r: r.request.method == "PUT") as put:
        form.locator('[data-action="set-limit"]').click()
    assert put.value.status == 200
    raised = time.monotonic()
    expect(add).to_be_enabled(timeout=EVENTUALLY_MS)
    latency = time.monotonic() - raised
    (admin.folder / "latency.txt").write_text(f"re-enabled {latency:.3f} s after\n")
    print(f"add re-enabled {latency:.3f} s after the partner's PUT")
    expect(story.pool(admin)).to_contain_text("limit 8")
    admin.shot("1-tenant-admin-after-raise")
    partner.shot("2-partner-who-raised")
    # The tenant admin adds at once, through the same page.
    admin.page.locator('[data-pool="expenses"] input[name=holder_id]').fill("fay")
    admin.page.locator('[data-pool="expenses"] input[name=holder_id]').press("Enter")
    expect(story.pool(admin)).to_contain_text("used 6", timeout=EVENTUALLY_MS)


def test_a_tenant_admin_key_sees_only_its_tenant(
    open_console: OpenConsole, op: httpx.Client, story: Story
) -> None:
    licenses = f"/v1/tenants/{story.customer}/licenses"
    ok(op.post(licenses, json={"feature": "multi_tenant"}), 201)
    tenant(op, "Grandchild", story.customer)  # out of a tenant admin's sight
    console = open_console(width=390, height=844)  # a phone
    console.sign_in(story.admin_key)
    links = console.page.locator("#tree a")
    expect(links).to_have_count(1)
    expect(links.first).to_have_attribute("data-tenant", story.customer)
    rights = console.page.locator("[data-rights]")
    expect(rights).to_have_attribute(
        "data-rights", "manage_tenant manage_keys read_history"
    )
    expect(console.page.locator("#tenant")).to_contain_text(
        "a parent tenant this key does not see"
    )
    search = console.page.locator("#search")
    search.fill("Partner")
    expect(console.page.locator("#tree")).to_contain_text("No tenant matches")
    search.fill("")
    expect(links).to_have_count(1)
    fits = console.page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )
    assert fits, "the page scrolls sideways on a narrow screen"
    console.shot("1-tenant-admin-on-a-phone")


def test_a_bad_key_is_refused(open_console: OpenConsole) -> None:
    console = open_console()
    console.page.locator("#api-key").fill("sl_not_a_real_key")
    console.page.locator("#api-key").press("Enter")
    expect(console.page.locator("#sign-in-error")).to_contain_text("refused this key")
    expect(console.page.locator("#workspace")).to_be_hidden()
    assert console.page.evaluate("sessionStorage.length") == 0
    console.shot("1-refused")


def test_a_revoked_key_signs_the_page_out(
    open_console: OpenConsole, op: httpx.Client, story: Story
) -> None:
    body = {"name": "short-lived", "role": "analyst", "tenant_id": story.partner}
    created = ok(op.post("/v1/api-keys", json=body), 201)
    console = open_console()
    console.sign_in(created["secret"])
    expect(console.page.locator("[data-rights]")).to_contain_text("only read")
    ok(op.delete(f"/v1/api-keys/{created['key_id']}"))
    assign(op, story.customer, "dan")  # a change, so the page asks again
    expect(console.page.locator("#sign-in-error")).to_contain_text(
        "stopped working", timeout=EVENTUALLY_MS
    )
    console.shot("1-signed-out-after-revocation")
