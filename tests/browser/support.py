"""What the browser tests share: a console tab, and a small story 5 (a
partner P with `multi_tenant`, its customer C with 5 `expenses` seats, 3
taken, and a key for each)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from playwright.sync_api import Locator, Page

from tests.e2e.helpers import ok

EVENTUALLY_MS = 10_000  # a generous bound; the console aims at one second


@dataclass
class Console:
    """One browser tab on the console, with its own session storage."""

    page: Page
    folder: Path
    foreign: list[str]
    errors: list[str] = field(default_factory=list)

    def shot(self, name: str, full_page: bool = True) -> Path:
        path = self.folder / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def sign_in(self, key: str) -> None:
        """With the keyboard, as a person would: type, then Enter."""
        self.page.locator("#api-key").fill(key)
        self.page.locator("#api-key").press("Enter")
        self.page.locator("#tenant h2").wait_for()

    def pick(self, tenant_id: str) -> None:
        self.page.locator(f'#tree a[data-tenant="{tenant_id}"]').click()
        self.page.locator(f'#tenant code[data-tenant-id="{tenant_id}"]').wait_for()


OpenConsole = Callable[..., Console]


@dataclass
class Story:
    """Story 5 in small: a partner P, its customer C with 5 expenses seats."""

    partner: str
    customer: str
    partner_key: str
    admin_key: str

    def pool(self, console: Console) -> Locator:
        return console.page.locator('[data-pool="expenses"]')


def tenant(op: httpx.Client, name: str, parent: str | None = None) -> str:
    body = {"name": f"{name} {uuid.uuid4().hex[:6]}"}
    if parent:
        body["parent_id"] = parent
    return str(ok(op.post("/v1/tenants", json=body), 201)["tenant_id"])


def key(op: httpx.Client, role: str, tenant_id: str) -> str:
    body = {"name": f"browser {role}", "role": role, "tenant_id": tenant_id}
    return str(ok(op.post("/v1/api-keys", json=body), 201)["secret"])


def assign(op: httpx.Client, tenant_id: str, *holders: str) -> None:
    for holder in holders:
        path = f"/v1/tenants/{tenant_id}/seats/expenses/assignments"
        ok(op.post(path, json={"holder_id": holder}), 201)
