"""Story 2 of docs/design.md, over HTTP against a real `seatledger serve`."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.conftest import Server
from tests.e2e.helpers import bad_fields, ok, pick, problem


@pytest.fixture
def c(server: Server) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client


def create(c: httpx.Client, name: str, **body: object) -> httpx.Response:
    return c.post("/v1/tenants", json={"name": name, **body})


def test_a_new_sub_tenant_gets_an_admin_before_handover(c: httpx.Client) -> None:
    """'A new sub-tenant is created under a master tenant with a name, type
    STANDARD or CUSTOM, edition BASIC (or higher), charset (STANDARD is always
    UTF-8) and an optional logo (its name is shown when there is none). It must
    get at least one administrator with a valid email before it is handed over
    to the customer; keep admins few.'"""
    mid = ok(create(c, f"Master {uuid.uuid4().hex}"), 201)["tenant_id"]
    ok(c.post(f"/v1/tenants/{mid}/licenses", json={"feature": "multi_tenant"}), 201)

    # "A new sub-tenant is created under a master tenant with a name, type
    # STANDARD or CUSTOM, edition BASIC (or higher), charset"
    latin = {"parent_id": mid, "type": "CUSTOM", "charset": "ISO-8859-1"}
    sub = ok(create(c, "Nordwind Süd", **latin), 201)
    sid, tenant = sub["tenant_id"], f"/v1/tenants/{sub['tenant_id']}"
    assert pick(sub, "name", "type", "edition", "charset") == (
        "Nordwind Süd",
        "CUSTOM",
        "BASIC",
        "ISO-8859-1",
    )
    assert pick(sub, "parent_id", "status", "admin_count") == (mid, "provisioning", 0)
    assert sid in ok(c.get(f"/v1/tenants/{mid}"))["children"]
    east = ok(create(c, "Nordwind Ost", parent_id=mid, edition="ENTERPRISE"), 201)
    assert pick(east, "type", "edition") == ("STANDARD", "ENTERPRISE")
    for wrong in ({"type": "SPECIAL"}, {"edition": "FREE"}, {"name": "  "}):
        r = c.post("/v1/tenants", json={"name": "West", "parent_id": mid, **wrong})
        assert bad_fields(r) == set(wrong)

    # "(STANDARD is always UTF-8)"
    assert east["charset"] == "UTF-8"
    for standard in ({}, {"type": "STANDARD"}):
        r = create(c, "West", parent_id=mid, charset="ISO-8859-1", **standard)
        assert bad_fields(r) == {"charset"}

    # "and an optional logo (its name is shown when there is none)"
    assert pick(sub, "logo_url", "display_name") == (None, "Nordwind Süd")
    logo = "https://cdn.example.com/sued.png"
    with_logo = ok(c.patch(tenant, json={"logo_url": logo}))
    assert pick(with_logo, "logo_url", "display_name") == (logo, "Nordwind Süd")

    # "It must get at least one administrator with a valid email before it is
    # handed over to the customer"
    problem(c.post(f"{tenant}/handover"), 409, "admin_required")
    members = f"{tenant}/members"
    for bad in ("ops@localhost", "ops.sued.example", "ops@@sued.example"):
        r = c.post(members, json={"email": bad, "role": "admin"})
        assert bad_fields(r) == {"email"}, bad
    ok(c.post(members, json={"email": "clerk@sued.example", "role": "user"}), 201)
    problem(c.post(f"{tenant}/handover"), 409, "admin_required")
    assert ok(c.get(tenant))["status"] == "provisioning"
    ops = {"email": "Ops@Sued.Example", "role": "admin", "display_name": "Süd Ops"}
    admin = ok(c.post(members, json=ops), 201)
    assert pick(admin, "email", "role", "status") == (
        "ops@sued.example",
        "admin",
        "active",
    )
    assert ok(c.get(tenant))["admin_count"] == 1
    handed = ok(c.post(f"{tenant}/handover"))
    assert pick(handed, "status", "admin_count") == ("active", 1)
    problem(c.post(f"{tenant}/handover"), 409, "invalid_state")

    # "keep admins few" — admin_count shows how many; the last one stays.
    deputy = {"email": "deputy@sued.example", "role": "admin"}
    deputy_id = ok(c.post(members, json=deputy), 201)["member_id"]
    assert ok(c.get(tenant))["admin_count"] == 2
    ok(c.patch(f"{members}/{deputy_id}", json={"role": "user"}))
    assert ok(c.get(tenant))["admin_count"] == 1
    last = f"{members}/{admin['member_id']}"
    problem(c.patch(last, json={"role": "user"}), 409, "last_admin")
    problem(c.delete(last), 409, "last_admin")
    final = ok(c.get(tenant))
    assert pick(final, "status", "admin_count", "charset") == (
        "active",
        1,
        "ISO-8859-1",
    )
