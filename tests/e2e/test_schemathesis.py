"""Schema-driven fuzzing (schemathesis) against a real `seatledger serve`.

The schema is the application's own OpenAPI document, built in-process at
collection time so that pytest sees one test per operation; the first test
checks that it is exactly what the server serves at /openapi.json. Every
operation gets a bounded, repeatable number of generated requests sent with
the operator key; half of the generated ids are swapped for ids that exist,
so the requests reach the domain instead of stopping at 404.

Checks: no 5xx (`not_a_server_error`) and, for documented responses, a body
that matches the documented schema (`response_schema_conformance`).

`POST /v1/commands` takes any command as a free-form `payload`, which a
fuzzer reading the OpenAPI document only fills with noise; a second schema,
built from the command catalogue, fuzzes every command type's payload.

Also here: the input limits of docs/http.md's "Requests" that tests/e2e/
test_bad_input.py and test_hostile_bodies.py do not cover yet (`limit` over
1000 on every list endpoint; over-long names in the remaining fields).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import jsonschema_rs
import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from application.catalogue import PUBLIC
from tests.e2e.conftest import Server
from tests.e2e.matrix_support import (
    app_openapi,
    error_code,
    module_server,
)

SCHEMA = schemathesis.openapi.from_dict(app_openapi())
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.specs.openapi.checks.response_schema_conformance,
]
FUZZ = settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    database=None,
)


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with module_server(tmp_path_factory, "schemathesis") as server:
        yield server


@pytest.fixture(scope="module")
def op(srv: Server) -> Iterator[httpx.Client]:
    with srv.client() as client:
        yield client


def ok(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status, f"{r.request.method} {r.request.url}: {r.text}"
    body: dict[str, Any] = r.json()
    return body


@pytest.fixture(scope="module")
def known(op: httpx.Client) -> dict[str, str]:
    """Ids that exist, to swap into generated requests."""
    tid = ok(op.post("/v1/tenants", json={"name": "Fuzz root"}), 201)["tenant_id"]
    ok(op.post(f"/v1/tenants/{tid}/licenses", json={"feature": "multi_tenant"}), 201)
    ok(op.put(f"/v1/tenants/{tid}/seats/seats", json={"limit": 1000}), 200)
    ok(op.put(f"/v1/tenants/{tid}/seats/members", json={"limit": 1000}), 200)
    holder = {"holder_id": "holder-1"}
    ok(op.post(f"/v1/tenants/{tid}/seats/seats/assignments", json=holder), 201)
    member = {"email": "fuzz.admin@example.org", "role": "admin"}
    mid = ok(op.post(f"/v1/tenants/{tid}/members", json=member), 201)["member_id"]
    invite = {"email": "fuzz.guest@example.org", "role": "member"}
    r = op.post(f"/v1/tenants/{tid}/invitations", json=invite)
    iid = ok(r, 201)["invitation_id"]
    order = {"pool": "seats", "quantity": 5}
    oid = ok(op.post(f"/v1/tenants/{tid}/license-orders", json=order), 201)["order_id"]
    key = {"name": "fuzz", "role": "auditor", "tenant_id": tid}
    kid = ok(op.post("/v1/api-keys", json=key), 201)["key_id"]
    # A public address (this server refuses private ones), an event type the
    # fuzzing never records: the sender has nothing to try.
    hook = {"url": "https://93.184.216.34/fuzz", "event_types": ["AuditTrailStarted"]}
    eid = ok(op.post("/v1/webhook-endpoints", json=hook), 201)["endpoint_id"]
    return {
        "tenant_id": tid,
        "parent_id": tid,
        "pool": "seats",
        "holder_id": "holder-1",
        "member_id": mid,
        "invitation_id": iid,
        "order_id": oid,
        "key_id": kid,
        "endpoint_id": eid,
        "feature": "multi_tenant",
    }


def test_the_fuzzed_schema_is_the_served_one(srv: Server) -> None:
    with httpx.Client(base_url=srv.base_url) as anonymous:
        served = anonymous.get("/openapi.json")
    assert served.status_code == 200
    assert served.json() == app_openapi()


def _coin(value: object) -> bool:
    """A repeatable coin toss on a generated value."""
    return hashlib.sha256(repr(value).encode()).digest()[0] % 2 == 0


def swap_in_known_ids(values: dict[str, Any] | None, known: dict[str, str]) -> None:
    """Replaces about half of the generated ids by ids that exist."""
    for name, value in list((values or {}).items()):
        if name in known and isinstance(value, str) and _coin(value):
            values[name] = known[name]  # type: ignore[index]


def cap_waiting(query: dict[str, Any] | None) -> None:
    """A generated `wait_ms` may hold a request for 10 s; 20 ms keeps the
    run bounded and still goes through the waiting path."""
    wait = (query or {}).get("wait_ms")
    if isinstance(wait, int) and not isinstance(wait, bool) and wait > 20:
        query["wait_ms"] = 20  # type: ignore[index]


# Lifecycle transitions would close or suspend the shared tenant for good.
LIFECYCLE = ("/handover", "/suspend", "/close")


@SCHEMA.parametrize()
@FUZZ
def test_no_server_errors_and_responses_match_the_schema(
    case: Any, srv: Server, known: dict[str, str]
) -> None:
    if not case.operation.path.endswith(LIFECYCLE):
        swap_in_known_ids(case.path_parameters, known)
    cap_waiting(case.query)
    case.call_and_validate(
        base_url=srv.base_url,
        headers={"Authorization": f"Bearer {srv.key}"},
        checks=CHECKS,
    )


# ---------------------------------------------------------------------------
# Every command type of POST /v1/commands, with its real payload schema.
# ---------------------------------------------------------------------------

KEEP_TENANT = {"HandOverTenant", "SuspendTenant", "CloseTenant"}


def commands_schema() -> dict[str, Any]:
    """One pseudo-operation per command type: the envelope with the command
    model's JSON schema as `payload` (sent to POST /v1/commands)."""
    components: dict[str, Any] = {}
    paths: dict[str, Any] = {}
    for kind, model in sorted(PUBLIC.items()):
        payload = model.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(payload.pop("$defs", {}))
        envelope = {
            "type": "object",
            "additionalProperties": False,
            "required": ["command_id", "type", "payload"],
            "properties": {
                "command_id": {"type": "string", "format": "uuid"},
                "type": {"const": kind},
                "tenant_id": {"type": "string", "format": "uuid"},
                "payload": payload,
            },
        }
        paths[f"/v1/commands/{kind}"] = {
            "post": {
                "operationId": kind,
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": envelope}},
                },
                "responses": {"default": {"description": "the command's answer"}},
            }
        }
    return {
        "openapi": "3.1.0",
        "info": {"title": "seatledger commands", "version": "1"},
        "paths": paths,
        "components": {"schemas": components},
    }


COMMANDS = schemathesis.openapi.from_dict(commands_schema())


@COMMANDS.parametrize()
@FUZZ
def test_no_command_payload_makes_a_server_error(
    case: Any, srv: Server, known: dict[str, str]
) -> None:
    kind = case.operation.path.rsplit("/", 1)[-1]
    case.path = "/v1/commands"  # the pseudo-path only names the command type
    body = case.body if isinstance(case.body, dict) else {}
    if kind not in KEEP_TENANT:
        swap_in_known_ids(body, known)
        payload = body.get("payload")
        swap_in_known_ids(payload if isinstance(payload, dict) else None, known)
    response = case.call(
        base_url=srv.base_url, headers={"Authorization": f"Bearer {srv.key}"}
    )
    assert response.status_code < 500, response.text
    answer = response.json()
    assert isinstance(answer, dict), answer
    if "command_id" in answer:  # the envelope parsed: the command's outcome
        assert answer["ok"] is (response.status_code < 400), answer
    else:  # refused before: a problem document
        assert answer.get("status") == response.status_code, answer
        assert answer.get("code"), answer


def _invitation(op: httpx.Client, tid: str, then: str) -> str:
    body = {"email": f"i{uuid.uuid4().hex[:12]}@example.org", "role": "member"}
    iid = ok(op.post(f"/v1/tenants/{tid}/invitations", json=body), 201)
    iid = iid["invitation_id"]
    if then == "accepted":
        ok(op.post(f"/v1/invitations/{iid}/accept", json={}), 200)
    else:
        ok(op.delete(f"/v1/invitations/{iid}"), 200)
    return str(iid)


def _cancelled_order(op: httpx.Client, tid: str) -> str:
    body = {"pool": "seats", "quantity": 1}
    oid = ok(op.post(f"/v1/tenants/{tid}/license-orders", json=body), 201)["order_id"]
    ok(op.post(f"/v1/license-orders/{oid}/cancel"), 200)
    return str(oid)


def _removed_member(op: httpx.Client, tid: str) -> dict[str, str]:
    body = {"email": f"m{uuid.uuid4().hex[:12]}@example.org", "role": "member"}
    mid = ok(op.post(f"/v1/tenants/{tid}/members", json=body), 201)["member_id"]
    ok(op.delete(f"/v1/tenants/{tid}/members/{mid}"), 200)
    return {"tenant_id": tid, "member_id": str(mid)}


def _tenant_in(op: httpx.Client, state: str) -> str:
    tid = ok(op.post("/v1/tenants", json={"name": f"S {uuid.uuid4().hex}"}), 201)
    tid = str(tid["tenant_id"])
    ok(op.post(f"/v1/tenants/{tid}/{state}"), 200)
    return tid


INVALID_STATE_COMMANDS = {
    "ResendInvitation-accepted": lambda op, t: (
        "ResendInvitation", {"invitation_id": _invitation(op, t, "accepted")}
    ),
    "AcceptInvitation-revoked": lambda op, t: (
        "AcceptInvitation", {"invitation_id": _invitation(op, t, "revoked")}
    ),
    "CancelLicenseOrder-cancelled": lambda op, t: (
        "CancelLicenseOrder", {"order_id": _cancelled_order(op, t)}
    ),
    "RejectLicenseOrder-cancelled": lambda op, t: (
        "RejectLicenseOrder", {"order_id": _cancelled_order(op, t), "reason": "no"}
    ),
    "RemoveMember-removed": lambda op, t: ("RemoveMember", _removed_member(op, t)),
    "SuspendTenant-suspended": lambda op, t: (
        "SuspendTenant", {"tenant_id": _tenant_in(op, "suspend")}
    ),
    "UpdateTenant-closed": lambda op, t: (
        "UpdateTenant", {"tenant_id": _tenant_in(op, "close"), "name": "New name"}
    ),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(INVALID_STATE_COMMANDS))
def test_an_invalid_state_command_is_a_409(
    srv: Server, op: httpx.Client, known: dict[str, str], name: str
) -> None:
    kind, payload = INVALID_STATE_COMMANDS[name](op, known["tenant_id"])
    envelope = {"command_id": str(uuid.uuid4()), "type": kind, "payload": payload}
    with srv.client() as own:  # the server drops the connection after a 500
        r = own.post("/v1/commands", json=envelope)
    assert r.status_code == 409, r.text
    answer = r.json()
    assert answer["ok"] is False, answer
    assert answer["error"]["code"] == "invalid_state", answer
    assert answer["error"]["status"] == 409, answer


# ---------------------------------------------------------------------------
# The documented 422 is the one the server sends.
# ---------------------------------------------------------------------------

MALFORMED = [
    pytest.param("post", "/v1/tenants", {}, {"name": ""}, id="POST-tenants"),
    pytest.param(
        "put",
        "/v1/tenants/{tenant_id}/seats/{pool}",
        {},
        {"limit": -1},
        id="PUT-seats",
    ),
    pytest.param(
        "get", "/v1/tenants/{tenant_id}/members", {"limit": 0}, None, id="GET-members"
    ),
]


@pytest.mark.parametrize(("method", "path", "query", "body"), MALFORMED)
def test_the_documented_422_is_what_the_server_sends(
    op: httpx.Client,
    known: dict[str, str],
    method: str,
    path: str,
    query: dict[str, Any],
    body: Any,
) -> None:
    spec = app_openapi()
    documented = spec["paths"][path][method]["responses"]["422"]
    url = path.format(**known)
    r = op.request(method.upper(), url, params=query, json=body)
    assert (r.status_code, error_code(r)) == (422, "validation_error"), r.text
    media_type = r.headers["content-type"].split(";")[0].strip()
    assert media_type in documented["content"], (
        f"sent {media_type}, documented {sorted(documented['content'])}"
    )
    schema = {
        **documented["content"][media_type]["schema"],
        "components": spec["components"],
    }
    errors = [
        e.message for e in jsonschema_rs.validator_for(schema).iter_errors(r.json())
    ]
    assert not errors, errors


# ---------------------------------------------------------------------------
# Input limits (docs/http.md "Requests") not covered by test_bad_input.py /
# test_hostile_bodies.py: those cover 413, name and holder_id of 201
# characters and `limit=1001` on the holders list.
# ---------------------------------------------------------------------------

COVERED_ELSEWHERE = {"/v1/tenants/{tenant_id}/seats/{pool}/assignments"}


def list_endpoints() -> list[str]:
    """Every GET that pages with a `limit` query parameter."""
    return sorted(
        path
        for path, item in app_openapi()["paths"].items()
        if any(p["name"] == "limit" for p in item.get("get", {}).get("parameters", []))
        and path not in COVERED_ELSEWHERE
    )


LONG = "n" * 201
OVERLONG = [
    ("post", "/v1/api-keys", {"name": LONG, "role": "auditor"}, "name"),
    (
        "post",
        "/v1/tenants/{tenant_id}/members",
        {"email": "long.name@example.org", "role": "member", "display_name": LONG},
        "display_name",
    ),
    ("post", "/v1/invitations/{invitation_id}/accept", {"display_name": LONG},
     "display_name"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "query", "body", "field"),
    [
        *(
            pytest.param("get", p, {"limit": 1001}, None, "limit", id=f"GET {p} 1001")
            for p in list_endpoints()
        ),
        *(
            pytest.param(m, p, {}, b, f, id=f"{m.upper()} {p} {f} 201")
            for m, p, b, f in OVERLONG
        ),
    ],
)
def test_input_limits_are_validation_errors(
    op: httpx.Client,
    known: dict[str, str],
    method: str,
    path: str,
    query: dict[str, Any],
    body: Any,
    field: str,
) -> None:
    r = op.request(method.upper(), path.format(**known), params=query, json=body)
    assert (r.status_code, error_code(r)) == (422, "validation_error"), r.text
    assert field in {e["field"] for e in r.json()["errors"]}, r.text
    if "limit" in query:  # and the cap itself is served
        at_cap = op.get(path.format(**known), params={"limit": 1000})
        assert at_cap.status_code == 200, at_cap.text


def test_list_endpoints_document_the_cap() -> None:
    for path in list_endpoints():
        params = app_openapi()["paths"][path]["get"]["parameters"]
        limit = next(p for p in params if p["name"] == "limit")
        assert limit["schema"].get("maximum") == 1000, (path, limit)
