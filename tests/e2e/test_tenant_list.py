"""GET /v1/tenants: the tenants a key may read, searched, filtered and paged;
exactly the key's scope, never more (docs/http.md and
README "Keys, roles and scopes")."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.conftest import Server
from tests.e2e.helpers import ok, problem


def named(c: httpx.Client, name: str, parent: str | None = None) -> str:
    body: dict[str, object] = {"name": name}
    if parent:
        body["parent_id"] = parent
    tid = str(ok(c.post("/v1/tenants", json=body), 201)["tenant_id"])
    ok(c.post(f"/v1/tenants/{tid}/licenses", json={"feature": "multi_tenant"}), 201)
    return tid


def listing(c: httpx.Client, **params: object) -> dict:
    return ok(c.get("/v1/tenants", params={**params, "wait_ms": 5000, **_min(c)}))


def _min(c: httpx.Client) -> dict[str, int]:
    # The projection has applied every write made so far (the head).
    return {"min_position": int(c.get("/readyz").json()["store_position"])}


def every_page(c: httpx.Client, **params: object) -> list[dict]:
    tenants, cursor = [], None
    while True:
        page = listing(c, **params, **({"cursor": cursor} if cursor else {}))
        tenants += page["tenants"]
        cursor = page["next_cursor"]
        if cursor is None:
            return tenants


@pytest.fixture(scope="module")
def tree(c: httpx.Client) -> dict[str, str]:
    """R -> P -> C -> G and an unrelated X, all named with one tag."""
    tag = uuid.uuid4().hex[:8]
    ids = {"R": named(c, f"{tag} R root")}
    ids["P"] = named(c, f"{tag} P partner", ids["R"])
    ids["C"] = named(c, f"{tag} C child", ids["P"])
    ids["G"] = named(c, f"{tag} G grandchild", ids["C"])
    ids["X"] = named(c, f"{tag} X elsewhere")
    ids["tag"] = tag
    return ids


@pytest.fixture(scope="module")
def keys(srv: Server, c: httpx.Client, tree: dict[str, str]) -> Iterator[dict]:
    clients = {}
    for label, role, home in (
        ("partner@P", "partner", "P"),
        ("tenant_admin@C", "tenant_admin", "C"),
        ("service@C", "service", "C"),
        ("auditor@P", "auditor", "P"),
        ("analyst@P", "analyst", "P"),
        ("analyst", "analyst", None),
    ):
        body = {"name": label, "role": role}
        if home:
            body["tenant_id"] = tree[home]
        secret = ok(c.post("/v1/api-keys", json=body), 201)["secret"]
        clients[label] = srv.client(secret)
    yield clients
    for client in clients.values():
        client.close()


def labels(tenants: list[dict], tree: dict[str, str]) -> list[str]:
    by_id = {v: k for k, v in tree.items()}
    return [by_id[t["tenant_id"]] for t in tenants if t["tenant_id"] in by_id]


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("partner@P", ["C", "G", "P"]),
        ("tenant_admin@C", ["C"]),
        ("service@C", ["C"]),
        ("auditor@P", ["C", "G", "P"]),
        ("analyst@P", ["C", "G", "P"]),
        ("analyst", ["C", "G", "P", "R", "X"]),
    ],
)
def test_each_key_lists_exactly_its_scope(
    keys: dict, tree: dict[str, str], who: str, sees: list[str]
) -> None:
    mine = every_page(keys[who], limit=2)
    assert labels(mine, tree) == sees  # ordered by name: the tag, then the letter
    if who != "analyst":
        assert len(mine) == len(sees)  # nothing outside the tree either


@pytest.mark.parametrize(
    ("who", "children"),
    [
        ("partner@P", {"P": ["C"], "C": ["G"], "G": []}),
        ("tenant_admin@C", {"C": []}),
        ("service@C", {"C": []}),
        ("auditor@P", {"P": ["C"], "C": ["G"], "G": []}),
        ("analyst@P", {"P": ["C"], "C": ["G"], "G": []}),
        ("analyst", {"R": ["P"], "P": ["C"], "C": ["G"], "G": [], "X": []}),
    ],
)
def test_a_listed_tenants_children_are_those_the_key_reads(
    keys: dict, tree: dict[str, str], who: str, children: dict[str, list[str]]
) -> None:
    """A tenant_admin or service key's own tenant was listed with its
    sub-tenants' ids; it reads its own tenant only, so none are named."""
    by_id = {v: k for k, v in tree.items()}
    mine = [t for t in every_page(keys[who], q=tree["tag"]) if t["tenant_id"] in by_id]
    seen = {by_id[t["tenant_id"]]: labels_of(t["children"], by_id) for t in mine}
    assert seen == children


def labels_of(ids: list[str], by_id: dict[str, str]) -> list[str]:
    return [by_id.get(i, i) for i in ids]


def test_the_operator_pages_through_everything_in_name_order(
    c: httpx.Client, tree: dict[str, str]
) -> None:
    everything = every_page(c, limit=2)
    ids = [t["tenant_id"] for t in everything]
    assert len(ids) == len(set(ids))
    assert labels(everything, tree) == ["C", "G", "P", "R", "X"]
    keys = [(t["name"].lower(), t["tenant_id"]) for t in everything]
    assert keys == sorted(keys)


def test_search_matches_part_of_the_name_ignoring_case(
    c: httpx.Client, tree: dict[str, str]
) -> None:
    tag = tree["tag"]
    assert labels(listing(c, q=f"{tag} g")["tenants"], tree) == ["G"]
    assert labels(listing(c, q=f"{tag.upper()} G GRAND")["tenants"], tree) == ["G"]
    umlaut = named(c, f"Zürich Süd {tag}")
    found = listing(c, q=f"SÜD {tag}")["tenants"]  # beyond ASCII, on both stores
    assert [t["tenant_id"] for t in found] == [umlaut]
    assert listing(c, q=f"nothing {tag}")["tenants"] == []


def test_parent_id_lists_the_children_and_status_filters(
    c: httpx.Client, tree: dict[str, str]
) -> None:
    assert labels(listing(c, parent_id=tree["P"])["tenants"], tree) == ["C"]
    assert labels(listing(c, q=tree["tag"], status="provisioning")["tenants"], tree)
    assert listing(c, q=tree["tag"], status="active")["tenants"] == []


def test_a_parent_out_of_scope_or_unknown_is_not_found(
    keys: dict, c: httpx.Client, tree: dict[str, str]
) -> None:
    problem(
        keys["partner@P"].get("/v1/tenants", params={"parent_id": tree["R"]}),
        404,
        "not_found",
    )
    problem(
        c.get("/v1/tenants", params={"parent_id": str(uuid.uuid4())}), 404, "not_found"
    )
    # Its own tenant's children are out of a tenant admin's scope: none listed.
    own = keys["tenant_admin@C"].get("/v1/tenants", params={"parent_id": tree["C"]})
    assert ok(own)["tenants"] == []


def test_each_tenant_says_what_the_key_may_do_there(
    keys: dict, c: httpx.Client, tree: dict[str, str]
) -> None:
    def actions(who: httpx.Client, label: str) -> list[str]:
        found = listing(who, q=f"{tree['tag']} {label}")["tenants"]
        return list(found[0]["actions"])

    assert "manage_contract" not in actions(keys["partner@P"], "P")  # its own
    assert {"manage_contract", "approve_orders"} <= set(actions(keys["partner@P"], "C"))
    assert actions(keys["tenant_admin@C"], "C") == [
        "manage_tenant",
        "manage_keys",
        "read_history",
    ]
    assert actions(keys["analyst"], "C") == []
    assert actions(keys["auditor@P"], "C") == ["read_history"]
    assert len(actions(c, "C")) == 5


@pytest.mark.parametrize(
    "params",
    [
        {"cursor": "not a cursor"},
        {"cursor": "WzEsMl0="},  # a JSON list, not of strings
        {"limit": 0},
        {"limit": 1001},
        {"q": ""},
        {"q": "x" * 201},
        {"status": "gone"},
        {"parent_id": "nope"},
        {"min_position": -1},
    ],
)
def test_bad_parameters_are_422(c: httpx.Client, params: dict) -> None:
    problem(c.get("/v1/tenants", params=params), 422, "validation_error")


def test_a_position_not_reached_yet_is_projection_behind(c: httpx.Client) -> None:
    r = c.get("/v1/tenants", params={"min_position": 2**40, "wait_ms": 10})
    problem(r, 409, "projection_behind")


def test_no_key_is_401(srv: Server) -> None:
    with httpx.Client(base_url=srv.base_url) as anonymous:
        problem(anonymous.get("/v1/tenants"), 401, "unauthorized")
