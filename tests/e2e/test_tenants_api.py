"""Tenants over HTTP: create, read, change, sibling names, licenses and the
tree. One server per backend for the module; every test makes its own uniquely
named tenants (root tenants are siblings of each other)."""

from __future__ import annotations

import unicodedata
import uuid
from datetime import UTC, datetime

import httpx
import pytest

from tests.e2e.conftest import Server
from tests.e2e.helpers import bad_fields, head, multi, problem, tenant, uniq


def test_create_answers_a_provisioning_tenant_with_defaults(c: httpx.Client) -> None:
    name = uniq()
    r = c.post("/v1/tenants", json={"name": f"  {name}  "})
    assert r.status_code == 201
    t = r.json()
    assert t["name"] == t["display_name"] == name
    assert (t["type"], t["edition"], t["charset"]) == ("STANDARD", "BASIC", "UTF-8")
    assert (t["logo_url"], t["parent_id"], t["status"]) == (None, None, "provisioning")
    assert (t["licenses"], t["admin_count"], t["children"]) == ([], 0, [])
    assert datetime.fromisoformat(t["created_at"]).utcoffset() is not None
    assert isinstance(t["position"], int) and t["position"] > 0
    got = c.get(f"/v1/tenants/{t['tenant_id']}").json()
    assert {**got, "position": 0} == {**t, "position": 0}
    assert 0 < got["position"] <= t["position"]


def test_custom_tenant_keeps_its_charset_and_utf8_is_normalised(
    c: httpx.Client,
) -> None:
    custom = tenant(c, type="CUSTOM", charset="ISO-8859-1", edition="ENTERPRISE")
    assert (custom["type"], custom["charset"]) == ("CUSTOM", "ISO-8859-1")
    assert custom["edition"] == "ENTERPRISE"
    assert tenant(c, charset="utf8")["charset"] == "UTF-8"


def test_patch_renames_sets_and_clears_the_logo_and_changes_edition(
    c: httpx.Client,
) -> None:
    t = tenant(c)
    path = f"/v1/tenants/{t['tenant_id']}"
    new = uniq("Renamed")
    renamed = c.patch(path, json={"name": new}).json()
    assert renamed["name"] == renamed["display_name"] == new
    logo = c.patch(path, json={"logo_url": "https://cdn.example/l.png"}).json()
    assert logo["logo_url"] == "https://cdn.example/l.png"
    assert logo["display_name"] == new
    edition = c.patch(path, json={"edition": "PROFESSIONAL"}).json()
    assert edition["edition"] == "PROFESSIONAL"
    assert edition["logo_url"] == "https://cdn.example/l.png"  # untouched
    cleared = c.patch(path, json={"logo_url": None}).json()
    assert cleared["logo_url"] is None
    positions = [t, renamed, logo, edition, cleared]
    assert [p["position"] for p in positions] == sorted(
        {p["position"] for p in positions}
    )
    got = c.get(path).json()
    assert (got["name"], got["edition"], got["logo_url"]) == (new, "PROFESSIONAL", None)
    same = c.patch(path, json={"name": new, "edition": "PROFESSIONAL"})
    assert same.status_code == 200  # records nothing: the current position
    assert same.json()["position"] == head(c) == cleared["position"]


def test_a_rename_frees_the_old_name_for_a_sibling(c: httpx.Client) -> None:
    t = tenant(c)
    assert c.patch(f"/v1/tenants/{t['tenant_id']}", json={"name": uniq()}).is_success
    assert c.post("/v1/tenants", json={"name": t["name"]}).status_code == 201


@pytest.mark.parametrize(
    "spelling", [str.upper, str.lower, lambda n: f"  {n}\t", lambda n: n + " "]
)
def test_sibling_names_compare_case_insensitively_and_trimmed(
    c: httpx.Client, spelling
) -> None:
    parent = multi(c)
    pid = parent["tenant_id"]
    first = tenant(c, parent_id=pid)
    again = c.post(
        "/v1/tenants", json={"name": spelling(first["name"]), "parent_id": pid}
    )
    problem(again, 409, "already_exists")
    other = tenant(c, parent_id=pid)
    rename = c.patch(
        f"/v1/tenants/{other['tenant_id']}", json={"name": spelling(first["name"])}
    )
    problem(rename, 409, "already_exists")
    elsewhere = multi(c)["tenant_id"]
    ok = c.post("/v1/tenants", json={"name": first["name"], "parent_id": elsewhere})
    assert ok.status_code == 201, ok.text


def to_fullwidth(name: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in name)


@pytest.mark.parametrize(
    "spelling",
    [to_fullwidth, lambda n: unicodedata.normalize("NFD", n)],
    ids=["fullwidth", "nfd"],
)
def test_sibling_names_compare_after_nfkc(c: httpx.Client, spelling) -> None:
    first = tenant(c, name=uniq("Café"))
    again = c.post("/v1/tenants", json={"name": spelling(first["name"])})
    problem(again, 409, "already_exists")


@pytest.mark.parametrize(
    "hidden", ["\u200b", "\u200d", "\u2060", "\ufeff", "\u200f", "\u202e", "\u2067"]
)
def test_names_with_invisible_or_bidi_control_characters_are_422(
    c: httpx.Client, hidden: str
) -> None:
    before = head(c)
    for name in (f"Ac{hidden}me {uniq()}", hidden * 3):
        r = c.post("/v1/tenants", json={"name": name})
        assert bad_fields(r) == {"name"}, r.text
    assert head(c) == before


def test_sub_tenant_needs_the_parent_multi_tenant_license(c: httpx.Client) -> None:
    parent = tenant(c)
    pid = parent["tenant_id"]
    r = c.post("/v1/tenants", json={"name": uniq(), "parent_id": pid})
    problem(r, 409, "license_required")
    lic = c.post(f"/v1/tenants/{pid}/licenses", json={"feature": "multi_tenant"})
    assert lic.status_code == 201
    child = tenant(c, parent_id=pid)
    assert child["parent_id"] == pid and child["status"] == "provisioning"
    assert c.get(f"/v1/tenants/{pid}").json()["children"] == [child["tenant_id"]]


def test_booking_a_license_is_201_then_200_without_a_new_position(
    c: httpx.Client,
) -> None:
    tid = tenant(c)["tenant_id"]
    path = f"/v1/tenants/{tid}/licenses"
    first = c.post(path, json={"feature": "expenses"})
    assert first.status_code == 201
    assert first.json()["licenses"] == ["expenses"]
    before = head(c)
    again = c.post(path, json={"feature": "expenses"})
    assert again.status_code == 200
    assert again.json()["licenses"] == ["expenses"]
    assert again.json()["position"] == before == head(c)
    gone = c.delete(f"{path}/expenses")
    assert gone.status_code == 200
    assert gone.json()["licenses"] == []
    assert gone.json()["position"] > before
    problem(c.delete(f"{path}/expenses"), 404, "not_found")


def test_tree_lists_the_tenant_and_its_descendants_with_pools(
    c: httpx.Client,
) -> None:
    root = multi(c)
    rid = root["tenant_id"]
    assert c.put(f"/v1/tenants/{rid}/seats/jobs", json={"limit": 10}).is_success
    child = multi(c, parent_id=rid, edition="PROFESSIONAL")
    grandchild = tenant(c, parent_id=child["tenant_id"])
    last = c.put(f"/v1/tenants/{child['tenant_id']}/seats/jobs", json={"limit": 4})
    r = c.get(
        f"/v1/tenants/{rid}/tree",
        params={"min_position": last.json()["position"], "wait_ms": 5000},
    )
    assert r.status_code == 200, r.text
    tree = r.json()
    assert tree["tenant_id"] == rid and tree["position"] >= last.json()["position"]
    nodes = {n["tenant_id"]: n for n in tree["tenants"]}
    assert tree["tenants"][0]["tenant_id"] == rid
    assert set(nodes) == {rid, child["tenant_id"], grandchild["tenant_id"]}
    assert nodes[rid]["depth"] == 0 and nodes[rid]["parent_id"] is None
    assert nodes[child["tenant_id"]]["depth"] == 1
    assert nodes[child["tenant_id"]]["edition"] == "PROFESSIONAL"
    assert nodes[grandchild["tenant_id"]]["depth"] == 2
    assert nodes[grandchild["tenant_id"]]["status"] == "provisioning"
    assert nodes[rid]["pools"] == [
        {
            "pool": "jobs",
            "limit": 10,
            "used": 0,
            "reserved": 0,
            "allocated": 4,
            "warning_threshold": 0.8,
        }
    ]
    assert nodes[child["tenant_id"]]["pools"][0]["limit"] == 4
    assert nodes[grandchild["tenant_id"]]["pools"] == []
    sub = c.get(f"/v1/tenants/{child['tenant_id']}/tree").json()
    assert {n["tenant_id"] for n in sub["tenants"]} == {
        child["tenant_id"],
        grandchild["tenant_id"],
    }


@pytest.mark.parametrize("role", ["tenant_admin", "service"])
def test_a_key_of_one_tenant_sees_its_tree_as_the_tenant_alone(
    srv: Server, c: httpx.Client, role: str
) -> None:
    """Issue 11: /tree showed a parent's tenant_admin or service key its
    whole subtree; such a key reads its own tenant only, so the tree holds
    the tenant alone, while a subtree reader (auditor) still sees it all."""
    rid = multi(c)["tenant_id"]
    child = tenant(c, parent_id=rid)["tenant_id"]
    waited = {"min_position": head(c), "wait_ms": 5000}
    for reader, nodes in ((role, [rid]), ("auditor", [rid, child])):
        body = {"name": reader, "role": reader, "tenant_id": rid}
        issued = c.post("/v1/api-keys", json=body).json()
        with srv.client(issued["secret"]) as k:
            tree = k.get(f"/v1/tenants/{rid}/tree", params=waited).json()
            assert [n["tenant_id"] for n in tree["tenants"]] == nodes, reader


@pytest.mark.parametrize(
    ("role", "told"),
    [("tenant_admin", False), ("service", False), ("partner", True)],
)
def test_a_tenant_names_its_children_only_to_a_key_that_reads_them(
    srv: Server, c: httpx.Client, role: str, told: bool
) -> None:
    """A tenant_admin or service key of a parent was answered the ids of
    all its sub-tenants in `children`, by every read and write that shows
    the tenant; it reads its own tenant only, so they are empty for it,
    while a subtree reader's answers name them as before."""
    pid = multi(c)["tenant_id"]
    kids = [tenant(c, parent_id=pid)["tenant_id"] for _ in range(2)]
    body = {"name": role, "role": role, "tenant_id": pid}
    issued = c.post("/v1/api-keys", json=body).json()
    rename = {"name": uniq("Renamed")}
    again = {"Idempotency-Key": str(uuid.uuid4())}
    envelope = {
        "command_id": str(uuid.uuid4()),
        "type": "UpdateTenant",
        "tenant_id": pid,
        "payload": {"name": uniq("Renamed")},
    }
    with srv.client(issued["secret"]) as k:
        now = datetime.now(UTC).isoformat()
        answers = {
            "GET": k.get(f"/v1/tenants/{pid}").json(),
            "GET ?at=": k.get(f"/v1/tenants/{pid}", params={"at": now}).json(),
            "PATCH": k.patch(f"/v1/tenants/{pid}", json=rename, headers=again).json(),
            "PATCH again": k.patch(
                f"/v1/tenants/{pid}", json=rename, headers=again
            ).json(),
            "command": k.post("/v1/commands", json=envelope).json()["result"],
        }
    for how, answer in answers.items():
        assert answer["tenant_id"] == pid, (how, answer)
        assert answer["children"] == (kids if told else []), (how, answer)
    # The operator's answer is unchanged: the tenant still has them.
    assert c.get(f"/v1/tenants/{pid}").json()["children"] == kids
