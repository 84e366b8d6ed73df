"""The content matrix: every kind of read (one tenant, the readable part of
a subtree, a whole subtree, children, everything the key may read) by every
key at every position in the tree (own tenant, parent, ancestor, child,
grandchild, sibling, unrelated, unknown), checked for what it ANSWERS, not
only its status: the tenants, events or keys it shows, or the events a
verification checked, must be exactly what the role table allows; and so
must the tenants a tenant names as its `children`, or an event its payload.

What each read covers is data (read_scopes.py); what it must show is
derived from the role table and the tree and log as the operator sees them.
A query parameter of a GET route that could widen a read must have a read
here, and a route that names no tenant in its path or its answer must too,
or the meta-tests below fail: a new way to widen a read cannot escape.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Server
from tests.e2e.matrix_contract import (
    GHOST,
    NAMING_FIELDS,
    PARENTS,
    PRINCIPALS,
    READ,
    ROLES,
    Who,
    position,
)
from tests.e2e.matrix_support import app_openapi, app_routes, error_code, module_server
from tests.e2e.matrix_world import World
from tests.e2e.read_scopes import (
    EVERYTHING,
    NOT_SCOPE,
    OF_A_RESOURCE,
    READS,
    Read,
    Universe,
    expected,
    fetch,
)

CODES = {403: "forbidden", 404: "not_found"}


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with module_server(tmp_path_factory, "read-scope-matrix") as server:
        yield server


@pytest.fixture(scope="module")
def world(srv: Server) -> Iterator[World]:
    """The tree with data of every kind in every tenant: a member, a key of
    every role (one of them revoked), and unscoped keys."""
    w = World(srv)
    try:
        w.build()
        for label in PARENTS:
            tid = w.ids[label]
            w.member(tid)
            for role in ROLES:
                w.key(tid, role)
            w.endpoint(tid)
        for role in ("operator", "auditor", "analyst"):
            w.key(None, role)
        w.endpoint(None)  # every event, the operator's only
        revoked = w.key(w.ids["C"], "service")
        w.ok(w.op.delete(f"/v1/api-keys/{revoked}"), 200)
        yield w
    finally:
        w.close()


@pytest.fixture(scope="module")
def universe(world: World) -> Universe:
    """Everything there is, read once with the operator key (reads write
    nothing, so it stays true for the whole module)."""
    op = world.op
    tenants = _all_pages(op, "/v1/tenants", "tenants", world.caught_up())
    parents = {t["tenant_id"]: t["parent_id"] for t in tenants}
    assert set(world.ids.values()) <= set(parents)
    world.parents |= parents
    events = [
        (e["position"], e["tenant_id"], e["aggregate_type"], _named(e))
        for e in _all_events(op)
    ]
    keys = op.get("/v1/api-keys", params=world.caught_up()).json()["keys"]
    hooks = _all_pages(op, "/v1/webhook-endpoints", "endpoints", world.caught_up())
    return Universe(
        parents,
        events,
        [(k["key_id"], k["role"], k["tenant_id"]) for k in keys],
        [(e["endpoint_id"], e["tenant_id"]) for e in hooks],
    )


def _named(event: dict) -> frozenset[tuple[str, str]]:
    """The other tenants an event's payload names, with the field."""
    payload = event["payload"]
    return frozenset((f, payload[f]) for f in NAMING_FIELDS if payload.get(f))


def _all_pages(op: httpx.Client, path: str, name: str, query: dict) -> list[dict]:
    found: list[dict] = []
    params: dict[str, Any] = {**query, "limit": 1000}
    while True:
        body = world_ok(op.get(path, params=params))
        found += body[name]
        if not body["next_cursor"]:
            return found
        params["cursor"] = body["next_cursor"]


def _all_events(op: httpx.Client) -> list[dict]:
    found: list[dict] = []
    after: int | None = 0
    while after is not None:
        body = world_ok(op.get("/v1/events", params={"after": after, "limit": 1000}))
        found += body["events"]
        after = body["next_after"]
    return found


def world_ok(r: httpx.Response) -> dict:
    assert r.status_code == 200, f"{r.request.url}: {r.status_code} {r.text}"
    return dict(r.json())


# ---------------------------------------------------------------------------
# The matrix.
# ---------------------------------------------------------------------------


def _cases() -> Iterator[Any]:
    for read in READS:
        for who in PRINCIPALS:
            targets = (None,) if read.covers == EVERYTHING else (*PARENTS, "ghost")
            for target in targets:
                where = "-" if target is None else f"{target}:{_position(who, target)}"
                case_id = f"{read.route[1]}#{read.label}|{who.name}>{where}"
                yield pytest.param(read, who, target, id=case_id)


def _position(who: Who, target: str) -> str:
    return "unknown" if target == "ghost" else position(who, target)


@pytest.mark.parametrize(("read", "who", "target"), list(_cases()))
def test_a_read_shows_exactly_what_the_key_may_read(
    world: World, universe: Universe, read: Read, who: Who, target: str | None
) -> None:
    tid = None if target is None else world.ids.get(target, GHOST)
    status, want = expected(world, universe, who, read, tid)
    r, seen = fetch(world.clients[who.name], read, read.call(tid, world))
    where = f"{who.name} reads {read.label or 'it'} on {target}: {r.request.url}"
    got = f"{where}\n-> {r.status_code} {r.text[:300]}"
    if status != 200:
        assert (r.status_code, error_code(r)) == (status, CODES[status]), got
        return
    assert r.status_code == 200, got
    if isinstance(want, int):
        assert seen == want, f"{where}: checked {seen}, the key may read {want}"
        return
    missing = (want - seen) if read.exact else set()
    assert seen <= want and not missing, (
        f"{where}\n   shown but not readable: {sorted(map(str, seen - want))}"
        f"\n   readable but not shown: {sorted(map(str, missing))}"
    )


# ---------------------------------------------------------------------------
# What a tenant's representation and the log name besides `tenant_id`.
# ---------------------------------------------------------------------------


def _tenant_cases() -> Iterator[Any]:
    for who in PRINCIPALS:
        for target in PARENTS:
            case_id = f"{who.name}>{target}:{position(who, target)}"
            yield pytest.param(who, target, id=case_id)


@pytest.mark.parametrize(("who", "target"), list(_tenant_cases()))
def test_a_tenant_names_exactly_the_children_the_key_reads(
    world: World, who: Who, target: str
) -> None:
    """A tenant's `children` are its sub-tenants the key may read: all of
    them, in order, for a key that reads subtrees; none for a tenant_admin
    or service key (its own tenant is exact), now or `?at=` an instant, in
    the tenant's read and in the list."""
    tid = world.ids[target]
    seen_by_all = world.ok(world.op.get(f"/v1/tenants/{tid}"), 200)
    want = [t for t in seen_by_all["children"] if world.readable(who, t, READ)]
    client = world.clients[who.name]
    now = datetime.now(UTC).isoformat()
    answers = [
        client.get(f"/v1/tenants/{tid}"),
        client.get(f"/v1/tenants/{tid}", params={"at": now}),
    ]
    query = {"q": seen_by_all["name"], **world.caught_up()}
    listed = client.get("/v1/tenants", params=query)
    if not world.readable(who, tid, READ):
        for r in answers:
            assert (r.status_code, error_code(r)) == (404, "not_found"), r.text
        assert listed.status_code in (200, 404), listed.text
        assert tid not in listed.text
        return
    for r in answers:
        assert r.status_code == 200, r.text
        assert r.json()["children"] == want, f"{who.name} on {target}: {r.text}"
    [mine] = [t for t in world_ok(listed)["tenants"] if t["tenant_id"] == tid]
    assert mine["children"] == want, f"{who.name} lists {target}: {mine}"


def test_the_tree_and_log_name_tenants_in_every_way_checked(
    universe: Universe,
) -> None:
    """The matrices' world holds an event naming another tenant by each of
    the payload fields the content checks look at, so they have something
    to find."""
    named = {field for *_, names in universe.events for field, _ in names}
    assert named == set(NAMING_FIELDS)
    assert any(p is not None for p in universe.parents.values())  # children


# ---------------------------------------------------------------------------
# Meta: no read and no query parameter escapes the matrix.
# ---------------------------------------------------------------------------


def _reads() -> list[str]:
    return sorted(path for method, path in app_routes() if method == "GET")


def _query_params(path: str) -> list[str]:
    parameters = app_openapi()["paths"][path]["get"].get("parameters", [])
    return [p["name"] for p in parameters if p["in"] == "query"]


@pytest.mark.parametrize("path", _reads())
def test_every_query_parameter_is_in_the_matrix_or_cannot_widen(path: str) -> None:
    reads = [read for read in READS if read.route == ("GET", path)]
    exercised = {p for read in reads for p in read.params}
    unchecked = [
        p for p in _query_params(path) if p not in exercised and p not in NOT_SCOPE
    ]
    assert not unchecked, (
        f"GET {path}: parameters {unchecked} may widen what it reads; add a Read "
        "to read_scopes.READS (or, if it only selects within the same rows, a "
        "reason to NOT_SCOPE)"
    )


@pytest.mark.parametrize("path", _reads())
def test_a_read_that_names_no_tenant_has_a_content_check(path: str) -> None:
    """A route without a tenant in its path reads what the key may read: its
    "everything" form must be in the matrix. A route whose answer names no
    tenant cannot be checked by what it shows: it must be in the matrix."""
    reads = [read for read in READS if read.route == ("GET", path)]
    if "{" not in path:
        assert any(read.covers == EVERYTHING for read in reads), (
            f"GET {path} names no tenant: add its everything-form to READS"
        )
    if not _names_tenants(path) and path not in OF_A_RESOURCE:
        assert reads, f"GET {path} answers no tenant_id: add a Read to READS"


def test_every_read_in_the_matrix_is_a_route() -> None:
    stale = sorted({read.route for read in READS} - app_routes())
    assert not stale, f"READS entries for routes that do not exist: {stale}"


def _names_tenants(path: str) -> bool:
    spec = app_openapi()
    content = spec["paths"][path]["get"]["responses"]["200"]["content"]
    schema = content.get("application/json", {}).get("schema", {})
    return _has_tenant_id(spec, schema, set())


def _has_tenant_id(spec: dict, schema: Any, seen: set[str]) -> bool:
    if isinstance(schema, list):
        return any(_has_tenant_id(spec, s, seen) for s in schema)
    if not isinstance(schema, dict):
        return False
    ref = schema.get("$ref")
    if isinstance(ref, str):
        if ref in seen:
            return False
        seen.add(ref)
        named = spec["components"]["schemas"][ref.split("/")[-1]]
        return _has_tenant_id(spec, named, seen)
    if "tenant_id" in schema.get("properties", {}):
        return True
    return any(_has_tenant_id(spec, v, seen) for v in schema.values())
