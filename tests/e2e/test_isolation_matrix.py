"""The exhaustive isolation test: every /v1 route x every role x a target
inside and outside the key's scope, against one real server.

The routes come from the application's own route table, so a new route
cannot escape: it must have an authorization rule (api/policy.py) and a
request factory here, or this module fails. The expected outcome comes from
the role table in API.md ("Keys"), written out below as data; the
implementation (Principal.in_scope, RULES, ROUTE_RULES) is what is checked,
never consulted.

Tree: R (root) -> P (the partner's tenant) -> C (child) -> G (grandchild),
and an unrelated root X; every tenant holds `multi_tenant`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from api.policy import ROUTE_RULES
from tests.e2e.conftest import KEY, Server
from tests.e2e.matrix_support import (
    WRITES,
    Route,
    app_openapi,
    app_routes,
    error_code,
    module_server,
    openapi_routes,
)

# ---------------------------------------------------------------------------
# The contract, as data (API.md "Keys").
# ---------------------------------------------------------------------------

# Rows of the role table.
CREATE_ROOT = "create root tenant"
CREATE_SUB = "create sub-tenant"
CONTRACT = "pool limits, feature licenses, handover, suspend, close"
APPROVE = "approve / reject license orders"
MANAGE = "rename, logo, members, invitations, assignments, place/cancel orders"
ACCEPT = "accept an invitation"
READ = "read state, projections and reports"
HISTORY = "history, /v1/events, verify"
KEYS = "create / revoke keys"

# Where the target tenant stands, seen from the key's tenant.
OWN = "own tenant"
DESC = "strict descendant"
OUTSIDE = "outside the subtree"
ANY = "any tenant (unscoped key)"
NONE = "no tenant (a root tenant, an unscoped key)"

EVERYTHING = frozenset(
    {CREATE_ROOT, CREATE_SUB, CONTRACT, APPROVE, MANAGE, ACCEPT, READ, HISTORY, KEYS}
)
OWN_TENANT = frozenset({CREATE_SUB, MANAGE, ACCEPT, READ, HISTORY})

# (role, relation) -> the actions the contract allows; anything missing: none.
ALLOWED: dict[tuple[str, str], frozenset[str]] = {
    ("operator", ANY): EVERYTHING,
    ("operator", NONE): frozenset({CREATE_ROOT, KEYS}),
    ("partner", OWN): OWN_TENANT | {KEYS},
    ("partner", DESC): OWN_TENANT | {CONTRACT, APPROVE, KEYS},
    ("tenant_admin", OWN): OWN_TENANT | {KEYS},
    ("service", OWN): OWN_TENANT,
    ("auditor", OWN): frozenset({READ, HISTORY}),
    ("auditor", DESC): frozenset({READ, HISTORY}),
    ("auditor", ANY): frozenset({READ, HISTORY}),
    ("analyst", OWN): frozenset({READ}),
    ("analyst", DESC): frozenset({READ}),
    ("analyst", ANY): frozenset({READ}),
}
# Key roles a key may never issue or revoke, even where it manages keys: a
# key never grants more than it holds (a tenant_admin's auditor or analyst
# key would read the whole subtree, which the tenant_admin cannot).
NEVER_ISSUES: dict[str, frozenset[str]] = {
    "operator": frozenset(),
    "partner": frozenset({"operator"}),
    "tenant_admin": frozenset({"operator", "partner", "auditor", "analyst"}),
}
ROLES = ("operator", "partner", "tenant_admin", "service", "auditor", "analyst")


def allowed(role: str, relation: str, action: str) -> bool:
    return action in ALLOWED.get((role, relation), frozenset())


# ---------------------------------------------------------------------------
# The tree and the keys.
# ---------------------------------------------------------------------------

PARENT: dict[str, str | None] = {"R": None, "P": "R", "C": "P", "G": "C", "X": None}
GHOST = "00000000-0000-4000-8000-00000000dead"  # a tenant that does not exist


@dataclass(frozen=True)
class Who:
    name: str
    role: str
    home: str | None  # the key's tenant (a label of PARENT), None: unscoped
    targets: tuple[str, ...]  # tenants the matrix aims this key at


PRINCIPALS = (
    Who("operator", "operator", None, ("C", "X")),
    Who("partner@P", "partner", "P", ("R", "P", "C", "X")),
    Who("tenant_admin@C", "tenant_admin", "C", ("P", "C", "G", "X")),
    Who("service@C", "service", "C", ("P", "C", "G", "X")),
    Who("auditor@P", "auditor", "P", ("R", "P", "C", "X")),
    Who("analyst@P", "analyst", "P", ("R", "P", "C", "X")),
    Who("auditor", "auditor", None, ("C", "X")),
    Who("analyst", "analyst", None, ("C", "X")),
)
BY_NAME = {who.name: who for who in PRINCIPALS}


def relation(who: Who, target: str | None) -> str:
    if target is None:
        return NONE
    if who.home is None:
        return ANY
    if target == who.home:
        return OWN
    up = PARENT[target]
    while up is not None:
        if up == who.home:
            return DESC
        up = PARENT[up]
    return OUTSIDE


# ---------------------------------------------------------------------------
# The world: one server, the tree, a client per key, fresh resources on demand.
# ---------------------------------------------------------------------------


class World:
    def __init__(self, server: Server) -> None:
        self.server = server
        self.op = server.client()  # the bootstrap operator key
        self.anonymous = httpx.Client(base_url=server.base_url, timeout=30)
        self.position = 0
        self.ids: dict[str, str] = {}
        self.secrets: dict[str, str] = {}
        self.clients: dict[str, httpx.Client] = {}

    def build(self) -> None:
        for label, parent in PARENT.items():  # parents come first
            self.ids[label] = self.tenant(self.ids[parent] if parent else None)
        for who in PRINCIPALS:
            tenant = self.ids[who.home] if who.home else None
            body = {"name": f"matrix {who.name}", "role": who.role}
            if tenant:
                body["tenant_id"] = tenant
            created = self.ok(self.op.post("/v1/api-keys", json=body), 201)
            assert created["secret"], created
            self.secrets[who.name] = created["secret"]
            self.clients[who.name] = self.server.client(created["secret"])

    def close(self) -> None:
        self.op.close()
        self.anonymous.close()
        for client in self.clients.values():
            client.close()

    def ok(self, r: httpx.Response, status: int) -> dict[str, Any]:
        req = r.request
        assert r.status_code == status, (
            f"setup {req.method} {req.url}: {r.status_code} {r.text}"
        )
        body: dict[str, Any] = r.json()
        self.position = max(self.position, int(body.get("position") or 0))
        return body

    # Values ------------------------------------------------------------------
    @staticmethod
    def slug(prefix: str) -> str:
        return f"{prefix}_{uuid.uuid4().hex[:12]}"

    @staticmethod
    def name() -> str:
        return f"Matrix {uuid.uuid4().hex}"

    @staticmethod
    def email() -> str:
        return f"m{uuid.uuid4().hex[:16]}@matrix.example"

    def caught_up(self) -> dict[str, int]:
        """Query for projection reads: wait until every setup write is in."""
        return {"min_position": self.position, "wait_ms": 5000}

    # Fresh resources, created with the operator key (random ids for GHOST) ----
    def tenant(self, parent: str | None) -> str:
        body: dict[str, Any] = {"name": self.name()}
        if parent:
            body["parent_id"] = parent
        tid = str(self.ok(self.op.post("/v1/tenants", json=body), 201)["tenant_id"])
        licenses = f"/v1/tenants/{tid}/licenses"
        self.ok(self.op.post(licenses, json={"feature": "multi_tenant"}), 201)
        return tid

    def child(self, tid: str) -> str:
        return self.tenant(tid)

    def license(self, tid: str) -> str:
        feature = self.slug("f")
        if tid != GHOST:
            path = f"/v1/tenants/{tid}/licenses"
            self.ok(self.op.post(path, json={"feature": feature}), 201)
        return feature

    def pool(self, tid: str) -> str:
        pool = self.slug("p")
        if tid != GHOST:
            path = f"/v1/tenants/{tid}/seats/{pool}"
            self.ok(self.op.put(path, json={"limit": 5}), 200)
        return pool

    def holder(self, tid: str) -> dict[str, str]:
        pool, holder = self.pool(tid), f"holder-{uuid.uuid4().hex[:8]}"
        if tid != GHOST:
            path = f"/v1/tenants/{tid}/seats/{pool}/assignments"
            self.ok(self.op.post(path, json={"holder_id": holder}), 201)
        return {"pool": pool, "holder_id": holder}

    def member(self, tid: str, role: str = "member") -> str:
        if tid == GHOST:
            return str(uuid.uuid4())
        body = {"email": self.email(), "role": role}
        r = self.op.post(f"/v1/tenants/{tid}/members", json=body)
        return str(self.ok(r, 201)["member_id"])

    def with_admin(self, tid: str) -> str:
        self.member(tid, role="admin")
        return tid

    def invitation(self, tid: str) -> str:
        body = {"email": self.email(), "role": "member"}
        r = self.op.post(f"/v1/tenants/{tid}/invitations", json=body)
        return str(self.ok(r, 201)["invitation_id"])

    def order(self, tid: str) -> str:
        body = {"pool": self.slug("o"), "quantity": 1}
        r = self.op.post(f"/v1/tenants/{tid}/license-orders", json=body)
        return str(self.ok(r, 201)["order_id"])

    def change(self, tid: str) -> str:
        """A contract change of a fresh pool, scheduled for tomorrow."""
        if tid == GHOST:
            return str(uuid.uuid4())
        tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
        path = f"/v1/tenants/{tid}/seats/{self.slug('s')}"
        r = self.op.put(path, json={"limit": 5, "effective_at": tomorrow})
        return str(self.ok(r, 202)["change_id"])

    def transfer(self, tid: str) -> Call:
        """Seats of a pool of `tid` to a fresh sibling, both drawing from a
        pool of their parent (a root tenant has no sibling: the call is
        refused, which only the shape tests aim at)."""
        parent = self.op.get(f"/v1/tenants/{tid}").json().get("parent_id")
        pool = self.slug("t")
        sibling = self.tenant(parent) if parent else str(uuid.uuid4())
        if parent:
            for owner, limit in ((parent, 10), (tid, 3)):
                path = f"/v1/tenants/{owner}/seats/{pool}"
                self.ok(self.op.put(path, json={"limit": limit}), 200)
        body = {"to_tenant_id": sibling, "quantity": 1}
        return Call({"tenant_id": tid, "pool": pool}, body)

    def key(self, tid: str | None, role: str = "auditor") -> str:
        body: dict[str, Any] = {"name": "matrix victim", "role": role}
        if tid:
            body["tenant_id"] = tid
        return str(self.ok(self.op.post("/v1/api-keys", json=body), 201)["key_id"])

    # Sending -------------------------------------------------------------------
    def send(self, who: str, route: Route, call: Call) -> httpx.Response:
        method, template = route
        client = self.op if who == "bootstrap" else self.clients[who]
        return client.request(
            method,
            template.format(**call.path),
            json=call.json,
            params=call.query,
        )


@dataclass
class Call:
    path: dict[str, str] = field(default_factory=dict)
    json: Any = None
    query: dict[str, Any] = field(default_factory=dict)


Build = Callable[[World, str], Call]


@dataclass(frozen=True)
class Variant:
    action: str  # the contract's row
    build: Build  # a request on a fresh resource of the target tenant
    ok: frozenset[int]  # what an allowed call answers
    label: str = ""
    targeted: bool = True  # False: aims at no tenant (root tenant, unscoped key)
    fresh: bool = False  # acts on a fresh child of the target (same relation)
    named: bool = True  # the tenant is in the path or body, not behind a resource id


def v(action: str, build: Build, *ok: int, **kw: Any) -> Variant:
    return Variant(action, build, frozenset(ok), **kw)


def command(kind: str, tid: str | None, **payload: Any) -> Call:
    envelope = {"command_id": str(uuid.uuid4()), "type": kind, "payload": payload}
    if tid:
        envelope["tenant_id"] = tid
    return Call(json=envelope)


# Builders that create something first, so the call aims at a fresh resource.
def _get_pool(w: World, t: str) -> Call:
    return Call({"tenant_id": t, "pool": w.pool(t)})


def _assign(w: World, t: str) -> Call:
    return Call({"tenant_id": t, "pool": w.pool(t)}, {"holder_id": "holder-1"})


def _holders(w: World, t: str) -> Call:
    pool = w.pool(t)
    return Call({"tenant_id": t, "pool": pool}, query=w.caught_up())


def _member(w: World, t: str) -> Call:
    return Call({"tenant_id": t, "member_id": w.member(t)})


def _invitation(w: World, t: str) -> Call:
    return Call({"invitation_id": w.invitation(t)})


def _order(w: World, t: str) -> Call:
    return Call({"order_id": w.order(t)})


def _tenant(w: World, t: str) -> Call:
    return Call({"tenant_id": t})


def _projection(w: World, t: str) -> Call:
    return Call({"tenant_id": t}, query=w.caught_up())


T = "/v1/tenants/{tenant_id}"
INV = "/v1/invitations/{invitation_id}"
ORD = "/v1/license-orders/{order_id}"

# One entry per route: the requests that exercise it (a route missing here
# fails the test; a contract route not built yet is listed in PENDING).
FACTORIES: dict[Route, tuple[Variant, ...]] = {
    ("POST", "/v1/tenants"): (
        v(
            CREATE_ROOT,
            lambda w, t: Call(json={"name": w.name()}),
            201,
            label="root",
            targeted=False,
        ),
        v(
            CREATE_SUB,
            lambda w, t: Call(json={"name": w.name(), "parent_id": t}),
            201,
            label="sub-tenant",
        ),
    ),
    ("GET", "/v1/tenants"): (
        v(READ, lambda w, t: Call(query={"parent_id": t, **w.caught_up()}), 200),
    ),
    ("GET", T): (v(READ, _tenant, 200),),
    ("PATCH", T): (
        v(
            MANAGE,
            lambda w, t: Call({"tenant_id": t}, {"name": w.name()}),
            200,
            label="rename",
        ),
        v(
            MANAGE,
            lambda w, t: Call(
                {"tenant_id": t}, {"logo_url": "https://l.example/x.png"}
            ),
            200,
            label="logo",
        ),
    ),
    ("POST", f"{T}/licenses"): (
        v(CONTRACT, lambda w, t: Call({"tenant_id": t}, {"feature": w.slug("f")}), 201),
    ),
    ("DELETE", f"{T}/licenses/{{feature}}"): (
        v(CONTRACT, lambda w, t: Call({"tenant_id": t, "feature": w.license(t)}), 200),
    ),
    ("POST", f"{T}/handover"): (
        v(CONTRACT, lambda w, t: Call({"tenant_id": w.with_admin(t)}), 200, fresh=True),
    ),
    ("POST", f"{T}/suspend"): (v(CONTRACT, _tenant, 200, fresh=True),),
    ("POST", f"{T}/close"): (v(CONTRACT, _tenant, 200, fresh=True),),
    ("GET", f"{T}/tree"): (v(READ, _projection, 200),),
    ("PUT", f"{T}/seats/{{pool}}"): (
        v(
            CONTRACT,
            lambda w, t: Call({"tenant_id": t, "pool": w.slug("p")}, {"limit": 5}),
            200,
        ),
    ),
    ("GET", f"{T}/seats/{{pool}}"): (v(READ, _get_pool, 200),),
    ("GET", f"{T}/seats/{{pool}}/forecast"): (v(READ, _holders, 200),),
    ("GET", f"{T}/seats/{{pool}}/scheduled-changes"): (v(READ, _holders, 200),),
    ("DELETE", "/v1/scheduled-changes/{change_id}"): (
        v(
            CONTRACT,
            lambda w, t: Call({"change_id": w.change(t)}),
            200,
            named=False,
        ),
    ),
    ("POST", f"{T}/seats/{{pool}}/transfers"): (
        v(CONTRACT, lambda w, t: w.transfer(t), 200, fresh=True),
    ),
    ("POST", f"{T}/seats/{{pool}}/assignments"): (v(MANAGE, _assign, 201),),
    ("DELETE", f"{T}/seats/{{pool}}/assignments/{{holder_id}}"): (
        v(MANAGE, lambda w, t: Call({"tenant_id": t, **w.holder(t)}), 200),
    ),
    ("GET", f"{T}/seats/{{pool}}/assignments"): (v(READ, _holders, 200),),
    ("GET", f"{T}/usage"): (v(READ, _projection, 200),),
    ("POST", f"{T}/members"): (
        v(
            MANAGE,
            lambda w, t: Call({"tenant_id": t}, {"email": w.email(), "role": "member"}),
            201,
        ),
    ),
    ("GET", f"{T}/members"): (v(READ, _projection, 200),),
    ("GET", f"{T}/members/{{member_id}}"): (v(READ, _member, 200),),
    ("PATCH", f"{T}/members/{{member_id}}"): (
        v(
            MANAGE,
            lambda w, t: Call(
                {"tenant_id": t, "member_id": w.member(t)}, {"role": "editor"}
            ),
            200,
        ),
    ),
    ("DELETE", f"{T}/members/{{member_id}}"): (v(MANAGE, _member, 200),),
    ("POST", f"{T}/invitations"): (
        v(
            MANAGE,
            lambda w, t: Call({"tenant_id": t}, {"email": w.email(), "role": "member"}),
            201,
        ),
    ),
    ("GET", f"{T}/invitations"): (v(READ, _projection, 200),),
    ("GET", INV): (v(READ, _invitation, 200, named=False),),
    ("POST", f"{INV}/accept"): (
        v(
            ACCEPT,
            lambda w, t: Call({"invitation_id": w.invitation(t)}, {}),
            200,
            named=False,
        ),
    ),
    ("POST", f"{INV}/resend"): (
        v(
            MANAGE,
            lambda w, t: Call({"invitation_id": w.invitation(t)}, {}),
            200,
            named=False,
        ),
    ),
    ("DELETE", INV): (v(MANAGE, _invitation, 200, named=False),),
    ("POST", f"{T}/license-orders"): (
        v(
            MANAGE,
            lambda w, t: Call({"tenant_id": t}, {"pool": w.slug("o"), "quantity": 1}),
            201,
        ),
    ),
    ("GET", f"{T}/license-orders"): (v(READ, _projection, 200),),
    ("GET", ORD): (v(READ, _order, 200, named=False),),
    ("POST", f"{ORD}/approve"): (v(APPROVE, _order, 200, named=False),),
    ("POST", f"{ORD}/reject"): (
        v(
            APPROVE,
            lambda w, t: Call({"order_id": w.order(t)}, {"reason": "not now"}),
            200,
            named=False,
        ),
    ),
    ("POST", f"{ORD}/cancel"): (v(MANAGE, _order, 200, named=False),),
    ("GET", f"{T}/reports/active-users"): (v(READ, _projection, 200),),
    ("GET", f"{T}/reports/usage-history"): (v(READ, _projection, 200),),
    ("GET", f"{T}/reports/billing"): (v(READ, _projection, 200),),
    ("GET", f"{T}/history"): (v(HISTORY, _tenant, 200),),
    ("GET", "/v1/events"): (
        v(HISTORY, lambda w, t: Call(query={"tenant_id": t}), 200),
    ),
    ("GET", "/v1/audit/verify"): (
        v(HISTORY, lambda w, t: Call(query={"tenant_id": t}), 200),
    ),
    ("POST", "/v1/api-keys"): (
        v(
            KEYS,
            lambda w, t: Call(json={"name": "k", "role": "service", "tenant_id": t}),
            201,
            label="scoped",
        ),
        v(
            KEYS,
            lambda w, t: Call(json={"name": "k", "role": "auditor"}),
            201,
            label="unscoped",
            targeted=False,
        ),
    ),
    ("DELETE", "/v1/api-keys/{key_id}"): (
        v(
            KEYS,
            lambda w, t: Call({"key_id": w.key(t, "service")}),
            200,
            label="scoped",
            named=False,
        ),
        v(
            KEYS,
            lambda w, t: Call({"key_id": w.key(None)}),
            200,
            label="unscoped",
            targeted=False,
        ),
    ),
    ("POST", "/v1/commands"): (
        v(
            CREATE_ROOT,
            lambda w, t: command("CreateTenant", None, name=w.name()),
            201,
            label="CreateTenant-root",
            targeted=False,
        ),
        v(
            CREATE_SUB,
            lambda w, t: command("CreateTenant", None, name=w.name(), parent_id=t),
            201,
            label="CreateTenant-sub",
        ),
        v(
            CONTRACT,
            lambda w, t: command("SetSeatLimit", t, pool=w.slug("p"), limit=3),
            200,
            label="SetSeatLimit",
        ),
        v(
            MANAGE,
            lambda w, t: command("AssignSeat", t, pool=w.pool(t), holder_id="h1"),
            201,
            label="AssignSeat",
        ),
        v(
            MANAGE,
            lambda w, t: command("AddMember", t, email=w.email(), role="member"),
            201,
            label="AddMember",
        ),
        v(
            APPROVE,
            lambda w, t: command("ApproveLicenseOrder", None, order_id=w.order(t)),
            200,
            label="ApproveLicenseOrder",
            named=False,
        ),
        v(
            ACCEPT,
            lambda w, t: command(
                "AcceptInvitation", None, invitation_id=w.invitation(t)
            ),
            200,
            label="AcceptInvitation",
            named=False,
        ),
        v(
            CONTRACT,
            lambda w, t: command("CancelScheduledChange", None, change_id=w.change(t)),
            200,
            label="CancelScheduledChange",
            named=False,
        ),
        v(
            CONTRACT,
            lambda w, t: command("SuspendTenant", t),
            200,
            label="SuspendTenant",
            fresh=True,
        ),
    ),
}

# Contract routes (API.md) the application does not serve yet: their factories
# are ready, and they join the matrix the day the route exists.
PENDING: frozenset[Route] = frozenset()


# ---------------------------------------------------------------------------
# Fixtures.
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with module_server(tmp_path_factory, "isolation-matrix") as server:
        yield server


@pytest.fixture(scope="module")
def world(srv: Server) -> Iterator[World]:
    w = World(srv)
    try:
        w.build()
        yield w
    finally:
        w.close()


# ---------------------------------------------------------------------------
# The route table: every route has a rule and a factory.
# ---------------------------------------------------------------------------


def test_every_v1_route_has_an_authorization_rule() -> None:
    missing = sorted(app_routes() - ROUTE_RULES.keys())
    assert not missing, f"routes without an entry in api.policy.ROUTE_RULES: {missing}"


def test_every_authorization_rule_names_a_real_route() -> None:
    stale = sorted(ROUTE_RULES.keys() - app_routes())
    assert not stale, f"ROUTE_RULES entries that match no route: {stale}"


def test_every_v1_route_has_a_request_factory() -> None:
    missing = sorted(app_routes() - FACTORIES.keys())
    assert not missing, f"routes without a request factory in this module: {missing}"
    unknown = sorted(FACTORIES.keys() - app_routes() - PENDING)
    assert not unknown, f"factories for routes that do not exist: {unknown}"


def test_the_served_openapi_document_lists_exactly_the_route_table(
    srv: Server,
) -> None:
    with httpx.Client(base_url=srv.base_url) as anonymous:
        spec = anonymous.get("/openapi.json").json()
    assert openapi_routes(spec) == app_routes()


# ---------------------------------------------------------------------------
# The matrix.
# ---------------------------------------------------------------------------


def _route_id(route: Route, variant: Variant) -> str:
    label = f"#{variant.label}" if variant.label else ""
    return f"{route[0]} {route[1]}{label}"


def _matrix_cases() -> Iterator[Any]:
    routes = app_routes()
    for route in sorted(routes | FACTORIES.keys()):
        if route not in routes:
            continue  # a PENDING contract route, not served yet
        variants = FACTORIES.get(route)
        if not variants:
            yield pytest.param(route, None, None, None, id=f"{route} has no factory")
            continue
        for variant in variants:
            for who in PRINCIPALS:
                targets = who.targets if variant.targeted else (None,)
                for target in targets:
                    case_id = f"{_route_id(route, variant)}|{who.name}>{target or '-'}"
                    yield pytest.param(route, variant, who, target, id=case_id)


def expect(who: Who, target: str | None, variant: Variant, method: str) -> str:
    """What the contract requires: "allowed", "forbidden" or "not_found"."""
    if allowed(who.role, relation(who, target), variant.action):
        return "allowed"
    return "forbidden" if method in WRITES else "not_found"


def check(r: httpx.Response, expected: str, variant: Variant, where: str) -> None:
    code = error_code(r)
    got = f"{where}\n-> {r.status_code} {r.text[:400]}"
    if expected == "allowed":
        assert r.status_code in variant.ok, f"allowed by the contract: {got}"
        assert code not in ("forbidden", "unauthorized"), got
    elif expected == "forbidden":
        assert (r.status_code, code) == (403, "forbidden"), got
    else:
        assert (r.status_code, code) == (404, "not_found"), got


@pytest.mark.parametrize(("route", "variant", "who", "target"), list(_matrix_cases()))
def test_isolation_matrix(
    world: World,
    route: Route,
    variant: Variant | None,
    who: Who | None,
    target: str | None,
) -> None:
    if variant is None or who is None:
        pytest.fail(f"no request factory for {route}: add one to FACTORIES")
    rel = relation(who, target)
    tid = world.ids[target] if target else ""
    if variant.fresh and rel != OWN:
        tid = world.child(tid)  # a fresh tenant standing where the target stands
    call = variant.build(world, tid)
    r = world.send(who.name, route, call)
    expected = expect(who, target, variant, route[0])
    where = f"{who.name} on {target} ({rel}): {variant.action}: {r.request.url}"
    check(r, expected, variant, where)


# ---------------------------------------------------------------------------
# Unknown tenants: 403 for a write out of scope whether or not the tenant
# exists, 404 for a read; the operator (whose scope is everything) gets 404.
# ---------------------------------------------------------------------------


def _ghost_cases() -> Iterator[Any]:
    routes = app_routes()
    for route, variants in sorted(FACTORIES.items()):
        if route not in routes:
            continue
        for variant in variants:
            if not (variant.targeted and variant.named) or variant.fresh:
                continue
            for who in PRINCIPALS:
                case_id = f"{_route_id(route, variant)}|{who.name}>ghost"
                yield pytest.param(route, variant, who, id=case_id)


@pytest.mark.parametrize(("route", "variant", "who"), list(_ghost_cases()))
def test_an_unknown_tenant_is_forbidden_to_write_and_not_found_to_read(
    world: World, route: Route, variant: Variant, who: Who
) -> None:
    call = variant.build(world, GHOST)
    r = world.send(who.name, route, call)
    if who.role == "operator":
        expected = "not_found"
    else:
        expected = "forbidden" if route[0] in WRITES else "not_found"
    where = f"{who.name} on an unknown tenant: {variant.action}: {r.request.url}"
    check(r, expected, variant, where)


# ---------------------------------------------------------------------------
# Who may issue and revoke which keys.
# ---------------------------------------------------------------------------

ISSUERS: dict[str, tuple[str | None, ...]] = {
    "operator": ("C", None),
    "partner@P": ("P", "C", "R", None),
    "tenant_admin@C": ("C", "G", "P", None),
    "service@C": ("C", None),
    "auditor@P": ("P", None),
    "analyst@P": ("P", None),
}


def may_issue(who: Who, role: str, target: str | None) -> bool:
    if not allowed(who.role, relation(who, target), KEYS):
        return False
    return role not in NEVER_ISSUES.get(who.role, frozenset())


def _key_cases() -> Iterator[Any]:
    for name, targets in ISSUERS.items():
        for target in targets:
            # Unscoped keys only for the roles that are defined without a tenant.
            roles = ROLES if target else ("operator", "auditor", "analyst")
            for role in roles:
                for verb in ("create", "revoke"):
                    case_id = f"{name}-{verb}s-{role}@{target or 'unscoped'}"
                    yield pytest.param(BY_NAME[name], role, target, verb, id=case_id)


@pytest.mark.parametrize(("who", "role", "target", "verb"), list(_key_cases()))
def test_who_may_issue_and_revoke_which_keys(
    world: World, who: Who, role: str, target: str | None, verb: str
) -> None:
    tid = world.ids[target] if target else None
    if verb == "create":
        body: dict[str, Any] = {"name": "issued", "role": role}
        if tid:
            body["tenant_id"] = tid
        r = world.clients[who.name].post("/v1/api-keys", json=body)
        ok = 201
    else:
        r = world.clients[who.name].delete(f"/v1/api-keys/{world.key(tid, role)}")
        ok = 200
    where = f"{who.name} {verb}s a {role} key for {target or 'no tenant'}"
    if may_issue(who, role, target):
        assert r.status_code == ok, f"{where}: {r.status_code} {r.text}"
        if verb == "create":
            assert r.json()["secret"].startswith("sl_")
    else:
        assert (r.status_code, error_code(r)) == (403, "forbidden"), (
            f"{where}: {r.status_code} {r.text}"
        )


def test_a_key_issued_by_a_partner_works_at_once_within_its_scope(
    world: World,
) -> None:
    body = {"name": "issued by P", "role": "tenant_admin", "tenant_id": world.ids["C"]}
    created = world.clients["partner@P"].post("/v1/api-keys", json=body)
    assert created.status_code == 201, created.text
    with world.server.client(created.json()["secret"]) as c:
        assert c.get(f"/v1/tenants/{world.ids['C']}").status_code == 200
        r = c.get(f"/v1/tenants/{world.ids['P']}")
        assert (r.status_code, error_code(r)) == (404, "not_found")


@pytest.mark.parametrize("revoker", ["operator", "partner@P", "tenant_admin@C"])
def test_a_revoked_key_is_unauthorized_at_once(world: World, revoker: str) -> None:
    body = {"name": "short-lived", "role": "service", "tenant_id": world.ids["C"]}
    created = world.ok(world.op.post("/v1/api-keys", json=body), 201)
    c_path = f"/v1/tenants/{world.ids['C']}"
    with world.server.client(created["secret"]) as c:
        assert c.get(c_path).status_code == 200
        revoked = world.clients[revoker].delete(f"/v1/api-keys/{created['key_id']}")
        assert revoked.status_code == 200, revoked.text
        assert revoked.json()["revoked"] is True
        for r in (
            c.get(c_path),
            c.post(f"{c_path}/members", json={"email": world.email(), "role": "x"}),
            c.post(
                f"{c_path}/members",
                json={"email": world.email(), "role": "x"},
                headers={"Idempotency-Key": str(uuid.uuid4())},
            ),
        ):
            assert (r.status_code, error_code(r)) == (401, "unauthorized"), r.text


@pytest.mark.parametrize("role", ["partner", "tenant_admin", "service"])
def test_an_unscoped_key_of_a_tenant_role_reaches_no_tenant(
    world: World, role: str
) -> None:
    """partner, tenant_admin and service keys are defined by their tenant
    (API.md "Keys"); without one the key must either not be issued (422) or
    reach nothing. Only auditor and analyst read everything unscoped."""
    r = world.op.post("/v1/api-keys", json={"name": "no tenant", "role": role})
    if r.status_code == 422:
        return
    assert r.status_code == 201, r.text
    with world.server.client(r.json()["secret"]) as c:
        for path in ("", "/members", "/usage"):
            got = c.get(f"/v1/tenants/{world.ids['X']}{path}")
            assert (got.status_code, error_code(got)) == (404, "not_found"), (
                f"unscoped {role} key: GET X{path}: {got.status_code} {got.text}"
            )
        wrote = c.post(f"/v1/tenants/{world.ids['X']}/members", json={})
        assert wrote.status_code in (403, 422), wrote.text


def test_a_replayed_command_id_is_checked_against_the_new_caller(
    world: World,
) -> None:
    """The command log answers a known command_id from the record; it must
    not hand another tenant's key the first caller's answer."""
    envelope = command("AddMember", world.ids["X"], email=world.email(), role="m")
    first = world.op.post("/v1/commands", json=envelope.json)
    assert first.status_code == 201, first.text
    for name in ("partner@P", "tenant_admin@C", "auditor@P", "analyst"):
        r = world.clients[name].post("/v1/commands", json=envelope.json)
        assert (r.status_code, error_code(r)) == (403, "forbidden"), (
            f"{name}: {r.status_code} {r.text}"
        )
        assert "result" not in r.json() or r.json()["result"] is None, r.text


def test_an_idempotency_key_replays_only_for_the_key_that_used_it(
    world: World,
) -> None:
    """Idempotency keys are scoped to the calling key: the same key and body
    from another key is judged afresh (here: 403), never replayed."""
    idem = {"Idempotency-Key": f"matrix-{uuid.uuid4()}"}
    path = f"/v1/tenants/{world.ids['X']}/members"
    body = {"email": world.email(), "role": "member"}
    first = world.op.post(path, json=body, headers=idem)
    assert first.status_code == 201, first.text
    for name in ("partner@P", "tenant_admin@C", "service@C", "auditor"):
        r = world.clients[name].post(path, json=body, headers=idem)
        assert (r.status_code, error_code(r)) == (403, "forbidden"), (
            f"{name}: {r.status_code} {r.text}"
        )
        assert "idempotent-replayed" not in r.headers


def _projection_reads() -> list[str]:
    """GET routes that take `min_position` (projection reads)."""
    return sorted(
        path
        for method, path in app_routes()
        if method == "GET"
        and any(
            p["name"] == "min_position"
            for p in app_openapi()["paths"][path]["get"].get("parameters", [])
        )
    )


@pytest.mark.parametrize("path", _projection_reads())
def test_an_out_of_scope_projection_read_is_404_before_projection_behind(
    world: World, path: str
) -> None:
    params = dict.fromkeys(
        (part[1:-1] for part in path.split("/") if part.startswith("{")), "x"
    )
    params["tenant_id"] = world.ids["X"]
    params["pool"] = "members"
    url = path.format(**params)
    query: dict[str, object] = {"min_position": 10**15, "wait_ms": 0}
    if "{tenant_id}" not in path:  # GET /v1/tenants names its tenant here
        query["parent_id"] = world.ids["X"]
    r = world.clients["analyst@P"].get(url, params=query)
    assert (r.status_code, error_code(r)) == (404, "not_found"), r.text


# ---------------------------------------------------------------------------
# 401 before everything; 422 before scope.
# ---------------------------------------------------------------------------

BAD_KEYS = {
    "no-header": None,
    "garbage": "Bearer garbage",
    "well-formed-unknown": f"Bearer sl_{uuid.uuid4().hex}_{'x' * 43}",
    "operator-key-plus-one": f"Bearer {KEY}x",
    "basic-scheme": "Basic ZTJlLW9wZXJhdG9yLWtleTo=",
    "bare-bearer": "Bearer",
    "overlong": "Bearer " + "k" * 5000,
}


def malformed(route: Route) -> Call:
    """A request on the route that is a 422 for a valid key: every path
    parameter malformed, an unknown body field, an out-of-range limit, a
    malformed `tenant_id` query (for reads that name the tenant there, such
    as GET /v1/audit/verify)."""
    method, template = route
    names = [part[1:-1] for part in template.split("/") if part.startswith("{")]
    call = Call(path=dict.fromkeys(names, "-not-valid-"))
    if method in WRITES:
        call.json = {"not_a_field": [1, 2, 3]}
    else:
        call.query = {"limit": 0, "min_position": -1, "tenant_id": "-not-valid-"}
    return call


def v1_routes() -> list[Route]:
    return sorted(app_routes())


@pytest.mark.parametrize("route", v1_routes(), ids=" ".join)
def test_no_or_bad_key_is_401_before_422(world: World, route: Route) -> None:
    call = malformed(route)
    r = world.send("bootstrap", route, call)
    assert (r.status_code, error_code(r)) == (422, "validation_error"), r.text
    method, template = route
    url = template.format(**call.path)
    for name, header in BAD_KEYS.items():
        headers = {"Authorization": header} if header is not None else {}
        r = world.anonymous.request(
            method, url, json=call.json, params=call.query, headers=headers
        )
        assert (r.status_code, error_code(r)) == (401, "unauthorized"), (
            f"{name}: {r.status_code} {r.text}"
        )
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.headers.get("www-authenticate", "").lower().startswith("bearer")


def test_a_malformed_json_body_without_a_key_is_401(world: World) -> None:
    r = world.anonymous.post("/v1/tenants", content=b'{"name": ')
    assert (r.status_code, error_code(r)) == (401, "unauthorized"), r.text


def _shape_cases() -> Iterator[Any]:
    routes = app_routes()
    for route, variants in sorted(FACTORIES.items()):
        targeted = [variant for variant in variants if variant.targeted]
        if route in routes and route[0] in WRITES and targeted:
            yield pytest.param(route, targeted[0], id=_route_id(route, targeted[0]))


@pytest.mark.parametrize(("route", "variant"), list(_shape_cases()))
def test_a_malformed_body_is_422_even_out_of_scope(
    world: World, route: Route, variant: Variant
) -> None:
    """401 -> 422 -> 403/404: an auditor of P aiming at X with a body that has
    an unknown field learns only that the body is malformed."""
    call = variant.build(world, world.ids["X"])
    if isinstance(call.json, dict):
        call.json = {**call.json, "not_a_field": 1}
    else:
        call.path = {k: "-not-valid-" for k in call.path}
    r = world.send("auditor@P", route, call)
    assert (r.status_code, error_code(r)) == (422, "validation_error"), r.text
