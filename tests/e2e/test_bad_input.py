"""Hostile input over HTTP: every malformed request is a 4xx problem document
(422 validation_error naming the field, 413 for big bodies), never a 500."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import httpx
import pytest

from tests.e2e.helpers import problem

JSON = "application/json"


@dataclass(frozen=True)
class Raw:
    """A body sent byte for byte (not JSON-encoded by the client)."""

    content: bytes
    content_type: str = JSON


@pytest.fixture(scope="module")
def tid(c: httpx.Client) -> str:
    r = c.post("/v1/tenants", json={"name": f"Hostile {uuid.uuid4().hex[:8]}"})
    assert r.status_code == 201, r.text
    t = r.json()["tenant_id"]
    assert c.put(f"/v1/tenants/{t}/seats/jobs", json={"limit": 5}).is_success
    r = c.post(f"/v1/tenants/{t}/seats/jobs/assignments", json={"holder_id": "h1"})
    assert r.status_code == 201
    return str(t)


TS = "/v1/tenants"
T = TS + "/{tid}"
POOL = T + "/seats/jobs"
HOLDERS = POOL + "/assignments"
NOBODY = TS + "/00000000-0000-4000-8000-000000000000"
LONG = "x" * 201
WT, CS, MP, WM = "warning_threshold", "charset", "min_position", "wait_ms"
# (id, method, path, body, field named in `errors` or None)
CASES = [
    ("malformed-json", "POST", TS, Raw(b'{"name": "A'), "body"),
    ("trailing-garbage", "PUT", POOL, Raw(b'{"limit": 1} x'), "body"),
    ("json-array", "POST", TS, Raw(b'[{"name": "A"}]'), None),
    ("json-string", "PUT", POOL, Raw(b'"limit"'), None),
    ("json-number", "POST", HOLDERS, Raw(b"42"), None),
    ("json-null", "POST", TS, Raw(b"null"), None),
    ("empty-body", "POST", TS, Raw(b""), None),
    ("form-encoded", "POST", TS, Raw(b"name=A", "text/plain"), None),
    ("limit-string", "PUT", POOL, {"limit": "5"}, "limit"),
    ("limit-float", "PUT", POOL, {"limit": 1.5}, "limit"),
    ("limit-whole-float", "PUT", POOL, {"limit": 5.0}, "limit"),
    ("limit-bool", "PUT", POOL, {"limit": True}, "limit"),
    ("limit-negative", "PUT", POOL, {"limit": -1}, "limit"),
    ("limit-too-big", "PUT", POOL, {"limit": 1_000_000_001}, "limit"),
    ("limit-huge", "PUT", POOL, {"limit": 10**40}, "limit"),
    ("limit-infinity", "PUT", POOL, Raw(b'{"limit": Infinity}'), "limit"),
    ("limit-missing", "PUT", POOL, {}, "limit"),
    ("limit-null", "PUT", POOL, {"limit": None}, "limit"),
    ("threshold-0", "PUT", POOL, {"limit": 5, WT: 0}, WT),
    ("threshold-1", "PUT", POOL, {"limit": 5, WT: 1}, WT),
    ("threshold-nan", "PUT", POOL, Raw(b'{"limit": 5, "%s": NaN}' % WT.encode()), WT),
    ("threshold-text", "PUT", POOL, {"limit": 5, WT: "high"}, WT),
    ("unknown-field-tenant", "POST", TS, {"name": "A", "colour": "red"}, "colour"),
    ("unknown-field-patch", "PATCH", T, {"status": "active"}, "status"),
    ("unknown-field-pool", "PUT", POOL, {"limit": 5, "used": 0}, "used"),
    ("unknown-field-assign", "POST", HOLDERS, {"holder_id": "h9", "x": 1}, "x"),
    ("unknown-field-license", "POST", T + "/licenses", {"feature": "a", "b": 1}, "b"),
    ("bad-uuid-path", "GET", TS + "/not-a-uuid", None, "tenant_id"),
    ("bad-uuid-path-pool", "PUT", TS + "/1234/seats/jobs", {"limit": 1}, "tenant_id"),
    ("bad-uuid-path-usage", "GET", T + "x/usage", None, "tenant_id"),
    ("bad-uuid-parent", "POST", TS, {"name": "A", "parent_id": "nope"}, "parent_id"),
    ("int-parent", "POST", TS, {"name": "A", "parent_id": 7}, "parent_id"),
    ("pool-uppercase", "PUT", T + "/seats/Jobs", {"limit": 1}, "pool"),
    ("pool-digit-first", "GET", T + "/seats/1jobs", None, "pool"),
    ("pool-hyphen", "POST", T + "/seats/job-a/assignments", {"holder_id": "a"}, "pool"),
    ("pool-too-long", "PUT", T + "/seats/" + "p" * 41, {"limit": 1}, "pool"),
    ("pool-unicode", "GET", T + "/seats/j%C3%B6bs/assignments", None, "pool"),
    ("holder-space", "POST", HOLDERS, {"holder_id": "a b"}, "holder_id"),
    ("holder-too-long", "POST", HOLDERS, {"holder_id": LONG}, "holder_id"),
    ("holder-empty", "POST", HOLDERS, {"holder_id": ""}, "holder_id"),
    ("holder-number", "POST", HOLDERS, {"holder_id": 17}, "holder_id"),
    ("holder-slash", "POST", HOLDERS, {"holder_id": "a/b"}, "holder_id"),
    ("holder-path-space", "DELETE", HOLDERS + "/a%20b", None, "holder_id"),
    ("holder-path-too-long", "DELETE", HOLDERS + "/" + LONG, None, "holder_id"),
    ("holders-after-bad", "GET", HOLDERS + "?after=a%20b", None, "after"),
    ("holders-limit-0", "GET", HOLDERS + "?limit=0", None, "limit"),
    ("holders-limit-1001", "GET", HOLDERS + "?limit=1001", None, "limit"),
    ("name-empty", "POST", TS, {"name": ""}, "name"),
    ("name-blank", "POST", TS, {"name": " \t\n "}, "name"),
    ("name-too-long", "POST", TS, {"name": "n" * 201}, "name"),
    ("name-number", "POST", TS, {"name": 42}, "name"),
    ("name-missing", "POST", TS, {"edition": "BASIC"}, "name"),
    ("rename-blank", "PATCH", T, {"name": "   "}, "name"),
    ("rename-too-long", "PATCH", T, {"name": "n" * 201}, "name"),
    ("standard-latin1", "POST", TS, {"name": "A", CS: "ISO-8859-1"}, CS),
    ("charset-empty", "POST", TS, {"name": "A", "type": "CUSTOM", CS: ""}, CS),
    ("type-unknown", "POST", TS, {"name": "A", "type": "PARTNER"}, "type"),
    ("edition-lowercase", "PATCH", T, {"edition": "basic"}, "edition"),
    ("logo-too-long", "PATCH", T, {"logo_url": "https://x/" + "l" * 2000}, "logo_url"),
    ("feature-bad-slug", "POST", T + "/licenses", {"feature": "Multi-T"}, "feature"),
    ("feature-path-bad-slug", "DELETE", T + "/licenses/Multi-Tenant", None, "feature"),
    ("min-position-huge", "GET", T + "/usage?min_position=" + "9" * 30, None, MP),
    ("min-position-negative", "GET", T + "/tree?min_position=-1", None, MP),
    ("min-position-text", "GET", HOLDERS + "?min_position=soon", None, MP),
    ("wait-ms-too-long", "GET", T + "/usage?min_position=1&wait_ms=10001", None, WM),
    ("wait-ms-huge", "GET", T + "/tree?wait_ms=" + "9" * 30, None, "wait_ms"),
    ("wait-ms-negative", "GET", HOLDERS + "?wait_ms=-5", None, "wait_ms"),
    ("unknown-tenant-bad-body", "PUT", NOBODY + "/seats/jobs", {"limit": -1}, "limit"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_hostile_input_is_a_422_problem_naming_the_field(
    c: httpx.Client, tid: str, method: str, path: str, body: object, field: str | None
) -> None:
    url = path.format(tid=tid)
    if isinstance(body, Raw):
        headers = {"Content-Type": body.content_type}
        r = c.request(method, url, content=body.content, headers=headers)
    else:
        r = c.request(method, url, json=body)
    errors = problem(r, 422, "validation_error")["errors"]
    assert isinstance(errors, list) and errors
    if field is not None:
        assert field in {e["field"] for e in errors}, errors
    for e in errors:
        assert {"field", "in", "message"} <= set(e)
    if method != "GET":
        pool = c.get(f"/v1/tenants/{tid}/seats/jobs").json()
        assert (pool["limit"], pool["used"]) == (5, 1)  # nothing was recorded


@pytest.mark.parametrize("path", [TS, "/v1/commands"])
def test_a_body_that_is_not_json_names_the_body_and_says_where(
    c: httpx.Client, path: str
) -> None:
    r = c.post(path, content=b'{\n  "name":\n}', headers={"Content-Type": JSON})
    (error,) = problem(r, 422, "validation_error")["errors"]
    assert error["field"] == "body", error
    assert "line 3, column 1 (character 12)" in error["message"], error
