"""Webhooks against a real receiver started here, from a real `serve` (its
in-process sender), on SQLite and PostgreSQL: what is delivered, signed,
retried and refused (README "Webhooks")."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import BACKENDS
from tests.e2e.conftest import Server, server_env, start_server, stop_server
from tests.e2e.helpers import assign, head, multi, ok, open_pool, problem, tenant
from tests.e2e.receiver import Receiver, receiving

# Short retries: the schedule's shape is what is tested, not its hours.
ENV = {
    "SEATLEDGER_WEBHOOKS_ALLOW_PRIVATE": "true",
    "SEATLEDGER_WEBHOOKS_RETRY_S": "0.2,0.2,0.2",
}
LEVELS = ["UsageLevelChanged"]
RENAMES = ["TenantRenamed"]  # a rename also records name claims


@pytest.fixture(scope="module", params=BACKENDS)
def srv(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    backend = str(request.param)
    workdir = tmp_path_factory.mktemp(f"webhooks-{backend}")
    pg = str(request.getfixturevalue("pg_url")) if backend == "postgres" else None
    server = start_server({**server_env(backend, workdir, pg), **ENV}, workdir)
    try:
        yield server
    finally:
        stop_server(server)


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with receiving() as r:
        yield r


@pytest.fixture(scope="module")
def c(srv: Server) -> Iterator[httpx.Client]:
    with srv.client() as client:
        yield client


def key(c: httpx.Client, role: str, tenant_id: str) -> str:
    body = {"name": f"{role} key", "role": role, "tenant_id": tenant_id}
    return str(ok(c.post("/v1/api-keys", json=body), 201)["secret"])


def endpoint(c: httpx.Client, url: str, **body: Any) -> dict[str, Any]:
    created = ok(c.post("/v1/webhook-endpoints", json={"url": url, **body}), 201)
    assert created["secret"].startswith("whsec_") and created["status"] == "enabled"
    return created


def caught_up(written: dict[str, Any]) -> dict[str, int]:
    return {"min_position": written["position"], "wait_ms": 5000}


def path() -> str:
    return f"/hook/{uuid.uuid4().hex[:8]}"


def test_a_pool_crossing_80_and_100_percent_notifies_tenant_and_partner(
    srv: Server, c: httpx.Client, receiver: Receiver
) -> None:
    partner = multi(c)
    child = tenant(c, parent_id=partner["tenant_id"])
    cid = child["tenant_id"]
    mine, theirs = path(), path()
    with srv.client(key(c, "tenant_admin", cid)) as admin:
        own = endpoint(admin, receiver.url(mine), tenant_id=cid, event_types=LEVELS)
    with srv.client(key(c, "partner", partner["tenant_id"])) as p:
        sub = endpoint(
            p,
            receiver.url(theirs),
            tenant_id=partner["tenant_id"],
            include_subtenants=True,
            event_types=LEVELS,
        )
    open_pool(c, cid, 5)
    assign(c, cid, "a", "b", "c", "d")  # 80 %: warning
    assign(c, cid, "e")  # 100 %: full
    for where, made in ((mine, own), (theirs, sub)):
        receiver.wait(lambda w=where: len(receiver.at(w)) >= 2)
        got = [r.verified(made["secret"]) for r in receiver.at(where)]
        levels = sorted(d["data"]["payload"]["level"] for d in got)
        assert levels == ["full", "warning"], got
        assert {d["type"] for d in got} == {"UsageLevelChanged"}
        assert {d["data"]["tenant_id"] for d in got} == {cid}


def test_a_failing_receiver_gets_the_same_webhook_id_until_it_succeeds(
    c: httpx.Client, receiver: Receiver
) -> None:
    t = tenant(c)
    where = path()
    receiver.scripts[where] = [500]
    made = endpoint(
        c, receiver.url(where), tenant_id=t["tenant_id"], event_types=RENAMES
    )
    c.patch(f"/v1/tenants/{t['tenant_id']}", json={"name": f"R {uuid.uuid4()}"})
    receiver.wait(lambda: len(receiver.at(where)) >= 2)
    first, second = receiver.at(where)[:2]
    assert first.id == second.id and first.body == second.body
    second.verified(made["secret"])
    log = f"/v1/webhook-endpoints/{made['endpoint_id']}/deliveries"

    def settled() -> bool:
        found = ok(c.get(log))["deliveries"]
        return bool(found) and found[0]["status"] == "succeeded"

    receiver.wait(settled)
    delivery = ok(c.get(log))["deliveries"][0]
    assert delivery["event_id"] == first.id
    assert (delivery["attempts"], delivery["last_status_code"]) == (2, 200)


def test_a_receiver_that_never_succeeds_ends_failed_and_can_be_retried(
    c: httpx.Client, receiver: Receiver
) -> None:
    t = tenant(c)
    where = path()
    receiver.scripts[where] = [503] * 4  # the first try and all three retries
    made = endpoint(
        c, receiver.url(where), tenant_id=t["tenant_id"], event_types=RENAMES
    )
    c.patch(f"/v1/tenants/{t['tenant_id']}", json={"name": f"F {uuid.uuid4()}"})
    log = f"/v1/webhook-endpoints/{made['endpoint_id']}/deliveries"
    receiver.wait(
        lambda: bool(ok(c.get(log, params={"status": "failed"}))["deliveries"])
    )
    failed = ok(c.get(log))["deliveries"][0]
    assert failed["attempts"] == 4 and failed["last_status_code"] == 503
    retried = c.post(f"{log}/{failed['delivery_id']}/retry")
    assert ok(retried, 202)["status"] == "pending"
    receiver.wait(lambda: len(receiver.at(where)) == 5)
    receiver.wait(lambda: ok(c.get(log))["deliveries"][0]["status"] == "succeeded")
    missing = c.post(f"{log}/{uuid.uuid4()}/retry")
    problem(missing, 404, "not_found")


def test_a_hanging_receiver_delays_neither_other_endpoints_nor_commands(
    c: httpx.Client, receiver: Receiver
) -> None:
    t = tenant(c)
    tid = t["tenant_id"]
    stuck, fine = path(), path()
    release = receiver.hang(stuck)
    endpoint(c, receiver.url(stuck), tenant_id=tid)
    endpoint(c, receiver.url(fine), tenant_id=tid)
    open_pool(c, tid, 50)
    after = head(c)
    assign(c, tid, *(f"h{i}" for i in range(12)))  # each answered 201
    events = ok(c.get("/v1/events", params={"tenant_id": tid, "after": after}))
    wanted = {e["event_id"] for e in events["events"]}
    receiver.wait(lambda: wanted <= {r.id for r in receiver.at(fine)})
    # Everything reached the other endpoint while this one still hangs.
    assert not release.is_set() and receiver.at(stuck)
    release.set()


def test_during_a_rotation_both_secrets_verify(
    c: httpx.Client, receiver: Receiver
) -> None:
    t = tenant(c)
    where = path()
    made = endpoint(
        c, receiver.url(where), tenant_id=t["tenant_id"], event_types=RENAMES
    )
    rotated = ok(c.post(f"/v1/webhook-endpoints/{made['endpoint_id']}/rotate-secret"))
    assert rotated["secret"].startswith("whsec_")
    assert rotated["secret"] != made["secret"]
    c.patch(f"/v1/tenants/{t['tenant_id']}", json={"name": f"K {uuid.uuid4()}"})
    receiver.wait(lambda: bool(receiver.at(where)))
    got = receiver.at(where)[0]
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    for secret in (made["secret"], rotated["secret"]):
        assert got.verified(secret)["type"] == "TenantRenamed"


def test_a_tenant_admin_manages_its_own_tenants_endpoints_only(
    srv: Server, c: httpx.Client, receiver: Receiver
) -> None:
    parent = multi(c)
    mine = tenant(c, parent_id=parent["tenant_id"])
    sibling = tenant(c, parent_id=parent["tenant_id"])
    theirs = endpoint(c, receiver.url(path()), tenant_id=sibling["tenant_id"])
    e = f"/v1/webhook-endpoints/{theirs['endpoint_id']}"
    with srv.client(key(c, "tenant_admin", mine["tenant_id"])) as admin:
        for body in (
            {"url": receiver.url(path()), "tenant_id": sibling["tenant_id"]},
            {"url": receiver.url(path())},  # every event: the operator's
            {
                "url": receiver.url(path()),
                "tenant_id": mine["tenant_id"],
                "include_subtenants": True,
            },
        ):
            problem(admin.post("/v1/webhook-endpoints", json=body), 403, "forbidden")
        problem(admin.get(e), 404, "not_found")
        problem(admin.get(f"{e}/deliveries"), 404, "not_found")
        problem(admin.delete(e), 403, "forbidden")
        listed = admin.get(
            "/v1/webhook-endpoints", params={"tenant_id": sibling["tenant_id"]}
        )
        problem(listed, 404, "not_found")
        own = endpoint(admin, receiver.url(path()), tenant_id=mine["tenant_id"])
        listed = admin.get("/v1/webhook-endpoints", params=caught_up(own))
        ids = [x["endpoint_id"] for x in ok(listed)["endpoints"]]
        assert ids == [own["endpoint_id"]]


def test_a_partner_s_subtree_endpoint_is_out_of_its_tenant_admin_s_sight(
    srv: Server, c: httpx.Client, receiver: Receiver
) -> None:
    """An endpoint that sends a subtree's events carries sub-tenants' events:
    the tenant's own admin (which reads its own tenant only) may neither see
    it nor take it over with a new URL or secret, whoever created it."""
    parent = multi(c)
    child = tenant(c, parent_id=parent["tenant_id"])
    with srv.client(key(c, "partner", parent["tenant_id"])) as partner:
        subtree = endpoint(
            partner,
            receiver.url(path()),
            tenant_id=parent["tenant_id"],
            include_subtenants=True,
        )
        plain = endpoint(partner, receiver.url(path()), tenant_id=parent["tenant_id"])
        # A sub-tenant's change, so the subtree endpoint has a delivery of it.
        ok(c.put(f"/v1/tenants/{child['tenant_id']}/seats/desk", json={"limit": 1}))
    e = f"/v1/webhook-endpoints/{subtree['endpoint_id']}"
    with srv.client(key(c, "tenant_admin", parent["tenant_id"])) as admin:
        problem(admin.get(e), 404, "not_found")
        problem(admin.get(f"{e}/deliveries"), 404, "not_found")
        problem(admin.patch(e, json={"url": receiver.url(path())}), 403, "forbidden")
        problem(admin.post(f"{e}/rotate-secret"), 403, "forbidden")
        problem(admin.delete(e), 403, "forbidden")
        listed = admin.get("/v1/webhook-endpoints", params=caught_up(plain))
        ids = [x["endpoint_id"] for x in ok(listed)["endpoints"]]
        assert ids == [plain["endpoint_id"]]
    # Nothing changed: the partner's endpoint is as it was.
    after = ok(c.get(e))
    assert after["url"] == subtree["url"] and after["status"] == "enabled"


def test_a_list_cursor_that_the_list_did_not_give_is_refused(c: httpx.Client) -> None:
    refused = c.get("/v1/webhook-endpoints", params={"cursor": "garbage"})
    problem(refused, 422, "validation_error")


def test_a_replayed_registration_answers_without_the_secret(
    c: httpx.Client, receiver: Receiver
) -> None:
    body = {"url": receiver.url(path())}
    idem = {"Idempotency-Key": str(uuid.uuid4())}
    first = ok(c.post("/v1/webhook-endpoints", json=body, headers=idem), 201)
    again = c.post("/v1/webhook-endpoints", json=body, headers=idem)
    assert again.headers.get("idempotent-replayed") == "true"
    assert ok(again, 201)["secret"] is None
    assert again.json()["endpoint_id"] == first["endpoint_id"]


def test_the_secret_leaves_the_database_sealed_only(
    c: httpx.Client, receiver: Receiver
) -> None:
    made = endpoint(c, receiver.url(path()))
    events = ok(c.get("/v1/events", params={"after": made["position"] - 1, "limit": 1}))
    payload = events["events"][0]["payload"]
    assert payload["secret"].startswith("sealed:v1:")
    assert made["secret"] not in str(events)
    assert "secret" not in str(
        ok(c.get(f"/v1/webhook-endpoints/{made['endpoint_id']}")).get("secret") or ""
    )


def test_metrics_show_outcomes_lag_and_the_oldest_pending(
    srv: Server, c: httpx.Client, receiver: Receiver
) -> None:
    t = tenant(c)
    where = path()
    receiver.scripts[where] = [500]  # one retry: both outcomes show
    endpoint(c, receiver.url(where), tenant_id=t["tenant_id"], event_types=RENAMES)
    c.patch(f"/v1/tenants/{t['tenant_id']}", json={"name": f"M {uuid.uuid4()}"})
    receiver.wait(lambda: len(receiver.at(where)) >= 2)
    wanted = (
        'seatledger_webhook_deliveries_total{outcome="succeeded"}',
        'seatledger_webhook_deliveries_total{outcome="retrying"}',
        "seatledger_webhook_endpoint_lag{endpoint=",
        "seatledger_webhook_oldest_pending_seconds ",
    )
    with httpx.Client(base_url=srv.base_url) as anonymous:
        receiver.wait(lambda: all(w in anonymous.get("/metrics").text for w in wanted))
