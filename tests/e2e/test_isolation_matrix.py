"""The exhaustive isolation test: every /v1 route x every role x a target
at every position around the key's tenant (its own, parent, ancestor,
child, grandchild, sibling, unrelated), against one real server.

The routes come from the application's own route table, so a new route
cannot escape: it must have an authorization rule (api/policy.py) and a
request factory here, or this module fails. The expected outcome comes from
the role table in README ("Keys, roles and scopes"), written out as data in
matrix_contract.py; the implementation (Principal.in_scope, RULES,
ROUTE_RULES) is what is checked, never consulted. An allowed read is also
checked for what it answers: every tenant it names, as a `tenant_id`, in a
tenant's `children` or in an event's payload, must be one the key may read
(what each kind of read covers, and every query parameter that could widen
it, is the content matrix of test_read_scope_matrix.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from api.policy import ROUTE_RULES
from tests.e2e.conftest import KEY, Server
from tests.e2e.matrix_contract import (
    ACCEPT,
    APPROVE,
    BY_NAME,
    CONTRACT,
    CREATE_ROOT,
    CREATE_SUB,
    GHOST,
    HISTORY,
    KEYS,
    MANAGE,
    OWN,
    PRINCIPALS,
    READ,
    ROLES,
    WEBHOOKS,
    Who,
    allowed,
    issues,
    position,
    read_refusal,
)
from tests.e2e.matrix_support import (
    WRITES,
    Route,
    app_openapi,
    app_routes,
    error_code,
    module_server,
    named_tenants,
    openapi_routes,
    revealed_tenants,
)
from tests.e2e.matrix_world import HOOK, RARE, Call, Variant, World, command, v


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


def _projection_query(w: World, t: str) -> Call:
    return Call(query={"tenant_id": t, **w.caught_up()})


def _endpoint(w: World, t: str) -> Call:
    return Call({"endpoint_id": w.endpoint(t)})


T = "/v1/tenants/{tenant_id}"
W = "/v1/webhook-endpoints"
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
    ("GET", "/v1/api-keys"): (v(KEYS, _projection_query, 200),),
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
    ("POST", W): (
        v(
            WEBHOOKS,
            lambda w, t: Call(json={"url": HOOK, "tenant_id": t, "event_types": RARE}),
            201,
            label="tenant",
        ),
        v(
            WEBHOOKS,
            lambda w, t: Call(json={"url": HOOK, "event_types": RARE}),
            201,
            label="every-event",
            targeted=False,
        ),
    ),
    ("GET", W): (v(WEBHOOKS, lambda w, t: Call(query={"tenant_id": t}), 200),),
    ("GET", f"{W}/{{endpoint_id}}"): (v(WEBHOOKS, _endpoint, 200, named=False),),
    ("PATCH", f"{W}/{{endpoint_id}}"): (
        v(
            WEBHOOKS,
            lambda w, t: Call({"endpoint_id": w.endpoint(t)}, {"description": "d"}),
            200,
            named=False,
        ),
    ),
    ("DELETE", f"{W}/{{endpoint_id}}"): (v(WEBHOOKS, _endpoint, 200, named=False),),
    ("POST", f"{W}/{{endpoint_id}}/rotate-secret"): (
        v(WEBHOOKS, _endpoint, 200, named=False),
    ),
    ("GET", f"{W}/{{endpoint_id}}/deliveries"): (
        v(WEBHOOKS, _endpoint, 200, named=False),
    ),
    ("POST", f"{W}/{{endpoint_id}}/deliveries/{{delivery_id}}/retry"): (
        v(WEBHOOKS, lambda w, t: Call(w.delivery(t)), 202, named=False),
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

# Contract routes (docs/http.md) the application does not serve yet: their factories
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
    where = position(who, target)
    if allowed(who.role, where, variant.action):
        return "allowed"
    if method in WRITES:
        return "forbidden"
    return read_refusal(who.role, where, variant.action)


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
    rel = position(who, target)
    tid = world.ids[target] if target else ""
    if variant.fresh and rel != OWN:
        tid = world.child(tid)  # a fresh tenant standing where the target stands
    call = variant.build(world, tid)
    r = world.send(who.name, route, call)
    expected = expect(who, target, variant, route[0])
    where = f"{who.name} on {target} ({rel}): {variant.action}: {r.request.url}"
    check(r, expected, variant, where)
    if expected == "allowed" and route[0] == "GET":
        check_revealed(world, who, variant.action, r, where)


def check_revealed(
    world: World, who: Who, action: str, r: httpx.Response, where: str
) -> None:
    """An allowed read names no tenant the key may not read: a route that
    answers more than its target shows here, whatever its shape, be it as a
    `tenant_id`, a tenant's `children` or in an event's payload."""
    for tid in revealed_tenants(r):
        assert world.readable(who, tid, action), (
            f"{where}\n-> names tenant {tid} ({world.relation(who, tid)}),"
            f" which {who.name} may not read"
        )
    for field, tid in named_tenants(r):
        assert world.nameable(who, tid, field, action), (
            f"{where}\n-> names tenant {tid} ({world.relation(who, tid)}) in"
            f" `{field}`, which {who.name} may not read"
        )


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
    "partner@C": ("C", "G", "S", "P", None),
    "tenant_admin@C": ("C", "G", "S", "P", None),
    "service@C": ("C", None),
    "auditor@P": ("P", None),
    "analyst@P": ("P", None),
}


def may_issue(who: Who, role: str, target: str | None) -> bool:
    return issues(who.role, position(who, target), role)


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
    (README "Keys, roles and scopes"); without one the key must either not be
    issued (422) or reach nothing. Only auditor and analyst read everything unscoped."""
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


def test_a_command_id_names_a_command_of_the_calling_key_only(world: World) -> None:
    """Issue 11: command ids were global, so another key sending a known
    command_id got the first command's answer (or idempotency_key_reused)
    and so learnt of it. Each key's command_id now names its own command:
    the same id from another key that may write there runs as a new one."""
    tid = world.ids["C"]
    first = command("AddMember", tid, email=world.email(), role="member").json
    a = world.op.post("/v1/commands", json=first)
    assert a.status_code == 201, a.text
    other = {**first, "payload": {"email": world.email(), "role": "member"}}
    b = world.clients["tenant_admin@C"].post("/v1/commands", json=other)
    assert b.status_code == 201, b.text
    assert b.json()["result"]["member_id"] != a.json()["result"]["member_id"]
    assert b.json()["position"] > a.json()["position"]
    # The very same envelope from a third key runs too, and is judged on its
    # own: the email now belongs to the first command's member.
    c = world.clients["partner@P"].post("/v1/commands", json=first)
    assert (c.status_code, error_code(c)) == (409, "already_member"), c.text
    assert a.json()["result"]["member_id"] not in c.text
    again = world.op.post("/v1/commands", json=first)  # the first key: a repeat
    assert again.json() == a.json()


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
    if "{tenant_id}" not in path:  # the tenant is named in the query
        query["parent_id"] = query["tenant_id"] = world.ids["X"]
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
