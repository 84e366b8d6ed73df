"""API keys over HTTP on both backends (README "Keys, roles and scopes"; docs/http.md
"Requests"): the secret is strong and shown once, works at once and stops at once,
replays answer `secret: null`, the acting key is the events' actor, secrets are never
stored or logged, and who may issue which key."""

from __future__ import annotations

import base64
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import psycopg
import pytest

from tests.e2e.conftest import Server
from tests.e2e.helpers import problem
from tests.e2e.store_support import Store, store_of

UNKNOWN = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def srv(backend: str, request: pytest.FixtureRequest) -> tuple[Server, Store]:
    # The server fixture passes os.environ on: the most talkative log level.
    request.getfixturevalue("monkeypatch").setenv("SEATLEDGER_LOG_LEVEL", "DEBUG")
    server: Server = request.getfixturevalue("server")
    return server, store_of(server, backend, request)


def blob(rows: list[tuple[Any, ...]]) -> bytes:
    return b"|".join(
        v if isinstance(v, bytes) else str(v).encode() for r in rows for v in r
    )


def random_part(key: dict[str, Any]) -> str:
    prefix = f"sl_{uuid.UUID(key['key_id']).hex}_"
    secret: str = key["secret"]
    return secret[len(prefix) :] if secret.startswith(prefix) else secret


def post_key(c: httpx.Client, role: str, t: str | None, **kw: Any) -> httpx.Response:
    return c.post(
        "/v1/api-keys", json={"name": "k", "role": role, "tenant_id": t}, **kw
    )


def new_key(c: httpx.Client, role: str, t: str | None) -> dict:
    r = post_key(c, role, t)
    assert r.status_code == 201, r.text
    return dict(r.json())


def tenant(c: httpx.Client) -> str:
    r = c.post("/v1/tenants", json={"name": f"Acme {uuid.uuid4().hex[:8]}"})
    assert r.status_code == 201, r.text
    return str(r.json()["tenant_id"])


def test_secret_is_strong_works_at_once_and_revocation_is_immediate(srv) -> None:
    server, _ = srv
    with server.client() as op:
        t = tenant(op)
        key, other = new_key(op, "tenant_admin", t), new_key(op, "tenant_admin", t)
        assert key["revoked"] is False and key["created_by"] == "key:operator"
        assert (key["role"], key["tenant_id"]) == ("tenant_admin", t)
        rand = random_part(key)
        assert len(base64.urlsafe_b64decode(rand + "=" * (-len(rand) % 4))) >= 32
        assert random_part(other) != rand
        with server.client(key["secret"]) as mine, server.client(other["secret"]) as o:
            assert mine.get(f"/v1/tenants/{t}").status_code == 200
            r = op.delete(f"/v1/api-keys/{key['key_id']}")
            assert r.status_code == 200, r.text
            assert r.json()["revoked"] is True and r.json()["secret"] is None
            problem(mine.get(f"/v1/tenants/{t}"), 401, "unauthorized")
            assert o.get(f"/v1/tenants/{t}").status_code == 200  # others unharmed
            problem(op.delete(f"/v1/api-keys/{key['key_id']}"), 409, "invalid_state")
            problem(op.delete(f"/v1/api-keys/{UNKNOWN}"), 404, "not_found")
        # token_urlsafe holds "_" every other time (a past bug: then 401).
        keys = (new_key(op, "auditor", t) for _ in range(40))
        key = next(k for k in keys if "_" in random_part(k))
        with server.client(key["secret"]) as mine:
            assert mine.get(f"/v1/tenants/{t}").status_code == 200


def test_replayed_creation_answers_secret_null_and_records_no_key(srv) -> None:
    server, store = srv
    with server.client() as op:
        t = tenant(op)
        created = len([e for e in store.events() if "ApiKeyCreated" in e[2]])
        hdr = {"Idempotency-Key": uuid.uuid4().hex}
        first = post_key(op, "service", t, headers=hdr)
        assert first.status_code == 201 and first.json()["secret"], first.text
        again = post_key(op, "service", t, headers=hdr)
        assert again.status_code == 201, again.text
        assert again.json() == {**first.json(), "secret": None}
        assert again.headers["idempotent-replayed"] == "true"
        now = len([e for e in store.events() if "ApiKeyCreated" in e[2]])
        assert now == created + 1
        problem(post_key(op, "auditor", t, headers=hdr), 422, "idempotency_key_reused")


@pytest.mark.parametrize("backend", ["postgres"])
def test_a_repeat_sent_while_the_first_call_runs_gets_the_first_answer(srv) -> None:
    """Both calls run into the same receipt: the one that records answers,
    the other is answered from its receipt (never 409, never a second key)."""
    server, store = srv
    hdr = {"Idempotency-Key": uuid.uuid4().hex}
    opts = f"-c search_path={store.schema}"
    with (
        server.client() as op,
        server.client() as other,
        ThreadPoolExecutor(2) as pool,
        psycopg.connect(store.pg_url, options=opts) as events_lock,
    ):
        t = tenant(op)
        created = len([e for e in store.events() if "ApiKeyCreated" in e[2]])
        # Hold the first call at its insert, send the repeat meanwhile.
        events_lock.execute("LOCK TABLE seatledger_events IN EXCLUSIVE MODE")
        first = pool.submit(post_key, op, "service", t, headers=hdr)
        time.sleep(0.5)
        again = pool.submit(post_key, other, "service", t, headers=hdr)
        time.sleep(0.5)
        events_lock.commit()
        answer, repeat = first.result(timeout=30), again.result(timeout=30)
    assert answer.status_code == 201, answer.text
    assert repeat.status_code == 201, repeat.text
    assert repeat.json() == {**answer.json(), "secret": None}
    assert repeat.headers["idempotent-replayed"] == "true"
    now = len([e for e in store.events() if "ApiKeyCreated" in e[2]])
    assert now == created + 1


def test_the_acting_key_is_the_actor_of_its_events(srv) -> None:
    server, store = srv
    with server.client() as op:
        t = tenant(op)
        assert op.put(f"/v1/tenants/{t}/seats/x", json={"limit": 3}).status_code == 200
        key = new_key(op, "tenant_admin", t)
    with server.client(key["secret"]) as admin:
        email = f"a-{uuid.uuid4().hex[:8]}@example.com"
        r = admin.post(f"/v1/tenants/{t}/members", json={"email": email, "role": "a"})
        assert r.status_code == 201, r.text
        member = r.json()["member_id"]
        r = admin.post(f"/v1/tenants/{t}/seats/x/assignments", json={"holder_id": "h"})
        assert r.status_code == 201, r.text
    caused = [
        e for e in store.events() if key["position"] < e[0] <= r.json()["position"]
    ]
    assert member in {o for _, o, _, _ in caused}, caused
    assert any("SeatPool" in topic for _, _, topic, _ in caused), caused
    assert {s["_meta"]["actor"] for *_, s in caused} == {f"key:{key['key_id']}"}
    [created] = [s for p, *_, s in store.events() if p == key["position"]]
    assert created["_meta"]["actor"] == "key:operator"


def test_secrets_appear_only_in_their_creation_response(srv) -> None:
    server, store = srv
    seen: list[httpx.Response] = []
    hooks = {"response": [seen.append]}
    with server.client(event_hooks=hooks) as op:
        t = tenant(op)
        op.put(f"/v1/tenants/{t}/seats/x", json={"limit": 3})
        hdr = {"Idempotency-Key": "create-partner"}
        post_key(op, "partner", t, headers=hdr)
        post_key(op, "partner", t, headers=hdr)  # a replay
        keys = [new_key(op, role, t) for role in ("tenant_admin", "service")]
        for key in keys:
            with server.client(key["secret"], event_hooks=hooks) as k:
                k.get(f"/v1/tenants/{t}")
                cmd = {"pool": "x", "holder_id": key["key_id"]}
                k.post(
                    "/v1/commands",
                    json={"command_id": str(uuid.uuid4()), "type": "AssignSeat"}
                    | {"tenant_id": t, "payload": cmd},
                )
        op.delete(f"/v1/api-keys/{keys[0]['key_id']}", headers={"Idempotency-Key": "r"})
        with server.client(keys[0]["secret"]) as revoked:
            assert revoked.get(f"/v1/tenants/{t}").status_code == 401
        for path in ("", "/seats/x", "/seats/x/assignments", "/usage", "/members"):
            assert op.get(f"/v1/tenants/{t}{path}").status_code == 200
    tables = store.tables()
    for name in (store.events_table, "command_receipts"):
        assert tables[name], name
    haystacks = {name: blob(rows) for name, rows in tables.items()}
    assert keys[1]["key_id"].encode() in haystacks[store.events_table]  # can find
    haystacks["server.log"] = server.log.read_bytes()
    assert b"debug" in haystacks["server.log"]  # the most talkative level
    if store.path is not None:  # the raw files too: free pages, the WAL
        haystacks |= {f.name: f.read_bytes() for f in store.path.parent.iterdir()}
    issued = [
        r.json()
        for r in seen
        if r.url.path == "/v1/api-keys" and r.status_code == 201 and r.json()["secret"]
    ]
    assert len(issued) >= 3
    for key in issued:
        secret, rand = key["secret"], random_part(key)
        for name, data in haystacks.items():
            assert secret.encode() not in data and rand.encode() not in data, name
        shown = [r for r in seen if secret in r.text or rand in r.text]
        assert len(shown) == 1 and shown[0].request.method == "POST", shown
        assert shown[0].json()["key_id"] == key["key_id"]


def test_who_may_issue_which_key(srv) -> None:
    server, _ = srv
    with server.client() as op:
        a, b = tenant(op), tenant(op)
        problem(post_key(op, "partner", UNKNOWN), 404, "not_found")
        problem(post_key(op, "root", None), 422, "validation_error")
        admin, partner = new_key(op, "tenant_admin", a), new_key(op, "partner", a)
        readers = [new_key(op, role, a) for role in ("auditor", "analyst")]
    with server.client("sl_not_a_key") as nobody:
        problem(post_key(nobody, "root", a), 401, "unauthorized")  # 401 first
    with server.client(admin["secret"]) as c:
        problem(post_key(c, "superuser", b), 422, "validation_error")  # before 403
        for role, t in [("operator", a), ("partner", a), ("service", b)]:
            problem(post_key(c, role, t), 403, "forbidden")
        # Issue 11: a tenant admin issued auditor and analyst keys of its own
        # tenant, which read the whole subtree it may not read itself.
        for role in ("auditor", "analyst"):
            problem(post_key(c, role, a), 403, "forbidden")
        for reader in readers:
            path = f"/v1/api-keys/{reader['key_id']}"
            problem(c.delete(path), 403, "forbidden")
        problem(post_key(c, "auditor", None), 403, "forbidden")
        problem(post_key(c, "tenant_admin", UNKNOWN), 403, "forbidden")
        assert post_key(c, "service", a).status_code == 201
        assert post_key(c, "tenant_admin", a).status_code == 201
        problem(c.delete(f"/v1/api-keys/{partner['key_id']}"), 403, "forbidden")
    with server.client(partner["secret"]) as p:
        # A write out of scope is 403 whether or not the tenant exists.
        problem(post_key(p, "partner", UNKNOWN), 403, "forbidden")
        problem(post_key(p, "operator", a), 403, "forbidden")
        assert post_key(p, "tenant_admin", a).status_code == 201


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_tenant_bound_role_needs_a_tenant(srv) -> None:
    server, _ = srv
    with server.client() as op:
        t = tenant(op)
        for role in ("partner", "tenant_admin", "service"):
            r = post_key(op, role, None)
            if r.status_code != 201:
                problem(r, 422, "validation_error")
                continue
            with server.client(r.json()["secret"]) as k:  # then it may read nothing
                assert k.get(f"/v1/tenants/{t}").status_code == 404, role
