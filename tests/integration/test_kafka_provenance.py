"""Who a command acts as (docs/http.md "Writes" and README "Keys, roles and scopes"), on
real Kafka and PostgreSQL: a command on the topic that names `actor_key_id` acts with
exactly that key's scope and is recorded as that key's act; a revoked or unknown key is
refused; a command naming no key acts as the trusted consumer. Over HTTP the calling key
acts, and naming another key is forbidden."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

import httpx
import psycopg
import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from consumers.commands import KAFKA_PRINCIPAL
from tests.integration.pipeline import Pipeline, fresh_pipeline


@pytest.fixture(scope="module")
def pipeline(
    pg_url: str, kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Pipeline]:
    # Only the processes this needs: the API and the command consumer.
    workdir = tmp_path_factory.mktemp("provenance")
    with fresh_pipeline(pg_url, kafka_bootstrap, workdir) as p:
        p.start_api()
        p.start("consume-commands")
        yield p


@pytest.fixture(scope="module")
def api(pipeline: Pipeline) -> Iterator[httpx.Client]:
    with pipeline.client() as client:
        yield client


@pytest.fixture(scope="module")
def world(api: httpx.Client) -> dict[str, str]:
    """Tenants A and B with an `expenses` pool each, and keys."""
    names: dict[str, str] = {}
    for t in ("a", "b"):
        names[t] = api.post("/v1/tenants", json={"name": t}).json()["tenant_id"]
        r = api.put(f"/v1/tenants/{names[t]}/seats/expenses", json={"limit": 50})
        assert r.status_code == 200, r.text
    for name, role, t in [
        ("admin_a", "tenant_admin", "a"),
        ("admin_b", "tenant_admin", "b"),
        ("auditor_a", "auditor", "a"),
    ]:
        body = {"name": name, "role": role, "tenant_id": names[t]}
        r = api.post("/v1/api-keys", json=body)
        assert r.status_code == 201, r.text
        names[name], names[f"{name}_secret"] = r.json()["key_id"], r.json()["secret"]
    return names


def assign(tenant: str, holder: str, actor: str | None = None) -> dict:
    envelope = {
        "command_id": str(uuid.uuid4()),
        "type": "AssignSeat",
        "tenant_id": tenant,
        "payload": {"pool": "expenses", "holder_id": holder},
    }
    return envelope | ({"actor_key_id": actor} if actor else {})


def run(pipeline: Pipeline, bootstrap: str, *envelopes: dict) -> list[dict]:
    """Publishes the envelopes on the command topic; their results, in order."""
    prefix = pipeline.topics_prefix
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        deadline = time.monotonic() + 60
        while consumer.partitions_for_topic(f"{prefix}.command-results") is None:
            assert time.monotonic() < deadline, "the consumer made no topics"
            time.sleep(0.2)
            consumer.topics()  # refreshes the metadata
        producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
        for e in envelopes:
            producer.send(f"{prefix}.commands", json.dumps(e).encode())
        producer.flush()
        producer.close()
        topic = f"{prefix}.command-results"
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        want = {e["command_id"] for e in envelopes}
        found: dict[str, dict] = {}
        deadline = time.monotonic() + 120
        while want - found.keys() and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=200).values():
                for r in records:
                    body = json.loads(r.value)
                    if body.get("command_id") in want:
                        found[body["command_id"]] = body
        missing = want - found.keys()
        process = pipeline.processes["consume-commands"]
        assert not missing, (
            f"no result for {missing} (consumer exit code {process.poll()}):\n"
            + pipeline.log("consume-commands")[-3000:]
        )
        return [found[e["command_id"]] for e in envelopes]
    finally:
        consumer.close()


def as_key(pipeline: Pipeline, secret: str) -> httpx.Client:
    auth = {"Authorization": f"Bearer {secret}"}
    return httpx.Client(base_url=pipeline.base_url, headers=auth, timeout=30)


def refused(answer: dict, status: int, code: str) -> None:
    assert answer["ok"] is False and "result" not in answer, answer
    assert answer["error"]["code"] == code and answer["error"]["status"] == status
    assert answer.get("status", status) == status, answer


def holders(api: httpx.Client, tenant: str) -> int:
    r = api.get(f"/v1/tenants/{tenant}/seats/expenses")  # strongly consistent
    assert r.status_code == 200, r.text
    return int(r.json()["used"])


def actor_at(pipeline: Pipeline, pg_url: str, position: int) -> str:
    schema = pipeline.env["SEATLEDGER_POSTGRES_SCHEMA"]
    with psycopg.connect(pg_url) as conn:
        [(state,)] = conn.execute(
            f'SELECT state FROM "{schema}".seatledger_events WHERE notification_id=%s',
            (position,),
        ).fetchall()
    return str(json.loads(bytes(state))["_meta"]["actor"])


def test_a_named_key_acts_within_its_own_scope(
    pipeline: Pipeline,
    api: httpx.Client,
    world: dict,
    kafka_bootstrap: str,
    pg_url: str,
) -> None:
    a, b, admin = world["a"], world["b"], world["admin_a"]
    used_a, used_b = holders(api, a), holders(api, b)
    own, other, via_envelope, contract, root, reader = run(
        pipeline,
        kafka_bootstrap,
        assign(a, "own-1", admin),
        assign(b, "other-1", admin),
        # The payload's tenant is the one acted on, whatever the envelope says.
        assign(a, "x", admin)
        | {"payload": {"tenant_id": b, "pool": "expenses", "holder_id": "other-2"}},
        {"command_id": str(uuid.uuid4()), "type": "SetSeatLimit", "tenant_id": a}
        | {"payload": {"pool": "expenses", "limit": 99}, "actor_key_id": admin},
        {"command_id": str(uuid.uuid4()), "type": "CreateTenant"}
        | {"payload": {"name": "rogue root"}, "actor_key_id": admin},
        assign(a, "reader-1", world["auditor_a"]),
    )
    assert own["ok"] is True and own["status"] == 201, own
    assert own["result"]["used"] == used_a + 1
    assert actor_at(pipeline, pg_url, own["position"]) == f"key:{admin}"
    for answer in (other, via_envelope, contract, root, reader):
        refused(answer, 403, "forbidden")
    assert (holders(api, a), holders(api, b)) == (used_a + 1, used_b)
    assert api.get(f"/v1/tenants/{a}/seats/expenses").json()["limit"] == 50


def test_a_revoked_or_unknown_key_is_unauthorized(
    pipeline: Pipeline, api: httpx.Client, world: dict, kafka_bootstrap: str
) -> None:
    a = world["a"]
    r = api.post("/v1/api-keys", json={"name": "x", "role": "service", "tenant_id": a})
    key = r.json()["key_id"]
    [used] = run(pipeline, kafka_bootstrap, assign(a, "before-revoke", key))
    assert used["ok"] is True, used  # the consumer has now seen the key
    assert api.delete(f"/v1/api-keys/{key}").status_code == 200
    before = holders(api, a)
    revoked, unknown = run(
        pipeline,
        kafka_bootstrap,
        assign(a, "after-revoke", key),
        assign(a, "by-nobody", str(uuid.uuid4())),
    )
    refused(revoked, 401, "unauthorized")
    refused(unknown, 401, "unauthorized")
    assert holders(api, a) == before


def test_a_command_naming_no_key_acts_as_the_trusted_consumer(
    pipeline: Pipeline, world: dict, kafka_bootstrap: str, pg_url: str
) -> None:
    [answer] = run(pipeline, kafka_bootstrap, assign(world["b"], "trusted-1"))
    assert answer["ok"] is True and answer["status"] == 201, answer
    assert actor_at(pipeline, pg_url, answer["position"]) == KAFKA_PRINCIPAL.actor


def test_over_http_a_command_acts_as_the_calling_key_only(
    pipeline: Pipeline, world: dict
) -> None:
    a, admin_a, admin_b = world["a"], world["admin_a"], world["admin_b"]
    with as_key(pipeline, world["admin_a_secret"]) as mine, pipeline.client() as op:
        before = holders(op, a)
        for actor in (admin_b, str(uuid.uuid4())):
            r = mine.post("/v1/commands", json=assign(a, "http-1", actor))
            assert r.status_code == 403 and r.json()["code"] == "forbidden", r.text
        r = op.post("/v1/commands", json=assign(a, "http-2", admin_a))
        assert r.status_code == 403 and r.json()["code"] == "forbidden", r.text
        assert holders(op, a) == before
        r = mine.post("/v1/commands", json=assign(a, "http-3", admin_a))
        assert r.status_code == 201 and r.json()["ok"] is True, r.text


def test_a_repeated_command_id_is_not_answered_to_another_tenants_key(
    pipeline: Pipeline, world: dict
) -> None:
    envelope = assign(world["a"], "replayed-1")
    with (
        as_key(pipeline, world["admin_a_secret"]) as mine,
        as_key(pipeline, world["admin_b_secret"]) as theirs,
    ):
        first = mine.post("/v1/commands", json=envelope)
        assert first.status_code == 201, first.text
        again = theirs.post("/v1/commands", json=envelope)
        assert again.status_code == 403, again.text  # as if it were new to B
