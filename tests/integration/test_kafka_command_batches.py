"""The Kafka command consumer submits a polled batch's commands together (so
the bus group-commits them) and answers each one, in offset order, exactly as
it would alone: on real Kafka and PostgreSQL."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import httpx
import pytest
from kafka import KafkaProducer

from tests.integration.pipeline import Pipeline, fresh_pipeline
from tests.integration.test_kafka_provenance import assign, holders, refused
from tests.integration.test_kafka_provenance import run as run_unkeyed


@pytest.fixture(scope="module")
def pipeline(
    pg_url: str, kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Pipeline]:
    workdir = tmp_path_factory.mktemp("command-batches")
    with fresh_pipeline(pg_url, kafka_bootstrap, workdir) as p:
        p.start_api()
        p.start("consume-commands")
        yield p


@pytest.fixture(scope="module")
def api(pipeline: Pipeline) -> Iterator[httpx.Client]:
    with pipeline.client() as client:
        yield client


def run(pipeline: Pipeline, bootstrap: str, *envelopes: dict) -> list[dict]:
    """Like the provenance tests' `run`, with every command keyed by its
    tenant, as senders should: one partition, so the topic's order holds."""
    original = KafkaProducer.send

    def keyed(self: KafkaProducer, topic: str, value: bytes, **kw: object) -> object:
        tenant = json.loads(value)["tenant_id"]
        return original(self, topic, value, key=tenant.encode(), **kw)

    KafkaProducer.send = keyed  # type: ignore[method-assign,assignment]
    try:
        return run_unkeyed(pipeline, bootstrap, *envelopes)
    finally:
        KafkaProducer.send = original  # type: ignore[method-assign]


def _tenant(api: httpx.Client, limit: int) -> str:
    tenant = api.post("/v1/tenants", json={"name": f"B {uuid.uuid4().hex[:8]}"})
    tenant_id = str(tenant.json()["tenant_id"])
    r = api.put(f"/v1/tenants/{tenant_id}/seats/expenses", json={"limit": limit})
    assert r.status_code == 200, r.text
    return tenant_id


def test_a_burst_of_commands_is_answered_each_as_alone(
    pipeline: Pipeline, kafka_bootstrap: str, api: httpx.Client
) -> None:
    tenant = _tenant(api, limit=30)
    burst = [assign(tenant, f"h{i}") for i in range(40)]  # 10 too many
    burst.insert(5, {**assign(tenant, "bad"), "payload": {"pool": "expenses"}})
    burst.insert(9, burst[3])  # a redelivery of the 4th command, in the batch
    burst.insert(12, assign(tenant, "h0"))  # h0 again, under a new command id

    answers = run(pipeline, kafka_bootstrap, *burst)

    by_holder = [e["payload"].get("holder_id") for e in burst]
    refused(answers[5], 422, "validation_error")
    refused(answers[12], 409, "already_assigned")
    assert answers[9] == answers[3]  # answered from the record, alike
    taken = [a for a in answers if a["ok"]]
    assert len({a["command_id"] for a in taken}) == 30  # the pool's 30 seats
    full = [
        a for a in answers if not a["ok"] and a["error"]["code"] == "quota_exhausted"
    ]
    assert len(full) == 10
    # Who got a seat follows the topic's order: the first 30 holders.
    seated = {by_holder[i] for i, a in enumerate(answers) if a["ok"]}
    assert seated == {f"h{i}" for i in range(30)}
    assert holders(api, tenant) == 30
    assert json.dumps(answers[3]["result"]) == json.dumps(answers[9]["result"])
