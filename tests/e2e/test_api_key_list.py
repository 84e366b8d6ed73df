"""GET /v1/api-keys on both backends (README "Keys, roles and scopes"): exactly the keys
the caller may revoke, revoked ones with the instant of their revocation, never a
secret; `tenant_id` narrows to one tenant and is 404 out of scope."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Server
from tests.e2e.helpers import multi, ok, problem

ROLES = ("operator", "partner", "tenant_admin", "service", "auditor", "analyst")


def new_key(c: httpx.Client, role: str, tid: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"name": f"{role} key", "role": role}
    if tid:
        body["tenant_id"] = tid
    return ok(c.post("/v1/api-keys", json=body), 201)


def listed(c: httpx.Client, position: int, **query: str) -> dict[str, dict]:
    params = {"min_position": position, "wait_ms": 5000, **query}
    body = ok(c.get("/v1/api-keys", params=params))
    assert body["position"] >= position
    return {k["key_id"]: k for k in body["keys"]}


@pytest.fixture(scope="module")
def keys(c: httpx.Client) -> dict[str, Any]:
    """A (a partner's tenant) -> B, and an unrelated O; at A a key of every
    role, at B and O a tenant admin and a service key, one unscoped auditor;
    A's service key revoked."""
    a = multi(c)["tenant_id"]
    b = multi(c, parent_id=a)["tenant_id"]
    o = multi(c)["tenant_id"]
    made = {f"{role}@A": new_key(c, role, a) for role in ROLES}
    for label, tid in (("B", b), ("O", o)):
        for role in ("tenant_admin", "service"):
            made[f"{role}@{label}"] = new_key(c, role, tid)
    made["auditor"] = new_key(c, "auditor", None)
    revoked = ok(c.delete(f"/v1/api-keys/{made['service@A']['key_id']}"))
    return {"A": a, "B": b, "O": o, "made": made, "position": revoked["position"]}


def ids(keys: dict[str, Any], *labels: str) -> set[str]:
    return {keys["made"][label]["key_id"] for label in labels}


def at(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def test_each_key_is_listed_as_created_and_revoked_never_with_a_secret(
    srv: Server, c: httpx.Client, keys: dict[str, Any]
) -> None:
    r = c.get("/v1/api-keys", params={"tenant_id": keys["A"]})
    found = listed(c, keys["position"], tenant_id=keys["A"])
    assert set(found) == ids(keys, *(f"{role}@A" for role in ROLES))
    events = ok(c.get(f"/v1/tenants/{keys['A']}/history", params={"limit": 1000}))
    when = {(e["aggregate_id"], e["type"]): e["occurred_at"] for e in events["events"]}
    for label in (f"{role}@A" for role in ROLES):
        made = keys["made"][label]
        key = found[made["key_id"]]
        assert set(key) == {
            "key_id",
            "name",
            "role",
            "tenant_id",
            "created_at",
            "revoked_at",
        }
        assert (key["name"], key["role"], key["tenant_id"]) == (
            made["name"],
            made["role"],
            keys["A"],
        )
        assert at(key["created_at"]) == at(when[(key["key_id"], "ApiKeyCreated")])
        revoked = when.get((key["key_id"], "ApiKeyRevoked"))
        assert at(key["revoked_at"]) == at(revoked)
        assert (revoked is not None) == (label == "service@A")
    for made in keys["made"].values():
        assert made["secret"] not in r.text


def test_the_operator_lists_every_key_and_a_tenant_narrows_it(
    c: httpx.Client, keys: dict[str, Any]
) -> None:
    everything = listed(c, keys["position"])
    assert ids(keys, *keys["made"]) <= set(everything)
    assert everything[keys["made"]["auditor"]["key_id"]]["tenant_id"] is None
    only_b = listed(c, keys["position"], tenant_id=keys["B"])
    assert set(only_b) == ids(keys, "tenant_admin@B", "service@B")


def test_a_partner_lists_the_non_operator_keys_of_its_subtree(
    srv: Server, keys: dict[str, Any]
) -> None:
    with srv.client(keys["made"]["partner@A"]["secret"]) as partner:
        mine = set(listed(partner, keys["position"]))
        below = {f"{r}@A" for r in ROLES if r != "operator"}
        assert mine == ids(keys, *below, "tenant_admin@B", "service@B")
        only_b = set(listed(partner, keys["position"], tenant_id=keys["B"]))
        assert only_b == ids(keys, "tenant_admin@B", "service@B")
        for tid in (keys["O"], "00000000-0000-4000-8000-00000000dead"):
            r = partner.get("/v1/api-keys", params={"tenant_id": tid})
            problem(r, 404, "not_found")


def test_a_tenant_admin_lists_its_tenants_admin_and_service_keys_only(
    srv: Server, keys: dict[str, Any]
) -> None:
    with srv.client(keys["made"]["tenant_admin@A"]["secret"]) as admin:
        mine = set(listed(admin, keys["position"]))
        assert mine == ids(keys, "tenant_admin@A", "service@A")
        assert set(listed(admin, keys["position"], tenant_id=keys["A"])) == mine
        for tid in (keys["B"], keys["O"]):  # a sub-tenant is not its own tenant
            r = admin.get("/v1/api-keys", params={"tenant_id": tid})
            problem(r, 404, "not_found")


# service@A is revoked: a live service key stands in for its role.
@pytest.mark.parametrize("label", ["service@B", "auditor@A", "analyst@A", "auditor"])
def test_a_key_that_manages_no_keys_lists_none(
    srv: Server, keys: dict[str, Any], label: str
) -> None:
    """403: the key's role may not list keys; but 404 for a tenant the key
    does not read (service@B and its parent A), whose existence is not
    revealed."""
    with srv.client(keys["made"][label]["secret"]) as k:
        problem(k.get("/v1/api-keys"), 403, "forbidden")
        r = k.get("/v1/api-keys", params={"tenant_id": keys["A"]})
        if label == "service@B":
            problem(r, 404, "not_found")
        else:
            problem(r, 403, "forbidden")
        r = k.get("/v1/api-keys", params={"tenant_id": str(uuid.uuid4())})
        problem(r, 404, "not_found")
