"""Bad messages on the Kafka topics: each lands in its dead-letter topic with
the reason, consumption goes on, and a redelivered command takes effect once."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from eventsourcing.persistence import StoredEvent
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from infra.eventstore import Persistence
from infra.settings import Settings
from tests.integration.pipeline import Pipeline, fresh_pipeline


@pytest.fixture(scope="module")
def pipeline(
    pg_url: str, kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Pipeline]:
    # One pipeline for the module: every test works on tenants and keys of its
    # own, and picks its own records out of the shared topics.
    workdir = tmp_path_factory.mktemp("dead-letters")
    with fresh_pipeline(pg_url, kafka_bootstrap, workdir) as p:
        p.start_all()
        yield p


@pytest.fixture
def api(pipeline: Pipeline) -> Iterator[httpx.Client]:
    with pipeline.client() as client:
        yield client


def publish(bootstrap: str, topic: str, messages: list[tuple[bytes, bytes]]) -> None:
    """(key, value) pairs, in order, acknowledged before returning."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    try:
        for key, value in messages:
            producer.send(topic, key=key, value=value)
        producer.flush()
    finally:
        producer.close()


def collect(
    bootstrap: str, topic: str, match: Callable[[Any], bool], want: int
) -> list[Any]:
    """The first `want` records of `topic` that `match` (in partition order)."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        found: list[Any] = []
        deadline = time.monotonic() + 60
        while len(found) < want and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=200).values():
                found += [r for r in records if match(r)]
        assert len(found) >= want, f"{len(found)} of {want} records on {topic}"
        return sorted(found, key=lambda r: (r.partition, r.offset))
    finally:
        consumer.close()


def reason(record: Any) -> str:
    [value] = [v for k, v in record.headers if k == "dlq_reason"]
    return str(value.decode())


def new_tenant(api: httpx.Client, name: str, limit: int = 5) -> str:
    tenant = str(api.post("/v1/tenants", json={"name": name}).json()["tenant_id"])
    opened = api.put(f"/v1/tenants/{tenant}/seats/expenses", json={"limit": limit})
    assert opened.status_code == 200, opened.text
    return tenant


def assign_command(tenant: str, holder: str) -> dict[str, Any]:
    return {
        "command_id": str(uuid.uuid4()),
        "type": "AssignSeat",
        "tenant_id": tenant,
        "payload": {"pool": "expenses", "holder_id": holder},
    }


def seats(api: httpx.Client, tenant: str) -> tuple[int, set[str]]:
    """Seats used and held as the projection shows them ((0, set()) while it
    has not applied the pool yet: a loaded machine projects later)."""
    pools = api.get(f"/v1/tenants/{tenant}/usage").json()["pools"]
    if not pools:
        return 0, set()
    [pool] = pools
    page = api.get(f"/v1/tenants/{tenant}/seats/expenses/assignments").json()
    return pool["used"], {h["holder_id"] for h in page["holders"]}


def test_malformed_commands_are_dead_lettered_and_consumption_goes_on(
    pipeline: Pipeline, api: httpx.Client, kafka_bootstrap: str
) -> None:
    tenant = new_tenant(api, "Junk Mail Ltd")
    no_id = assign_command(tenant, "nobody")
    del no_id["command_id"]
    unknown = {"command_id": str(uuid.uuid4()), "type": "TeleportSeat", "payload": {}}
    invalid = assign_command(tenant, "not a valid holder!")
    valid = assign_command(tenant, "after-the-junk")
    bad = [
        b"this is not json {",
        b"\xff\xfe\x00 garbage bytes",
        json.dumps(no_id).encode(),
        json.dumps(unknown).encode(),
        json.dumps(invalid).encode(),
    ]
    key = f"junk-{uuid.uuid4()}".encode()  # one partition: order is kept
    prefix = pipeline.topics_prefix
    publish(
        kafka_bootstrap,
        f"{prefix}.commands",
        [(key, value) for value in [*bad, json.dumps(valid).encode()]],
    )

    dead = collect(kafka_bootstrap, f"{prefix}.commands.dlq", lambda r: r.key == key, 5)
    assert [r.value for r in dead] == bad
    reasons = [reason(r) for r in dead]
    assert "Invalid JSON" in reasons[0], reasons[0]
    assert "Invalid JSON" in reasons[1] or "utf-8" in reasons[1].lower(), reasons[1]
    assert "command_id" in reasons[2] and "required" in reasons[2], reasons[2]
    assert "unknown command type 'TeleportSeat'" in reasons[3], reasons[3]
    assert "holder_id" in reasons[4] and "validation_error" in reasons[4], reasons[4]

    ids = {unknown["command_id"], invalid["command_id"], valid["command_id"]}
    results = f"{prefix}.command-results"
    found = collect(kafka_bootstrap, results, lambda r: r.key.decode() in ids, 3)
    answers = {a["command_id"]: a for a in (json.loads(r.value) for r in found)}
    for rejected in (unknown, invalid):
        answer = answers[rejected["command_id"]]
        assert answer["ok"] is False and answer["status"] == 422, answer
        assert answer["error"]["code"] == "validation_error", answer
    assert [e["field"] for e in answers[invalid["command_id"]]["error"]["errors"]] == [
        "holder_id"
    ]
    done = answers[valid["command_id"]]
    assert done["ok"] is True and done["status"] == 201, done
    pipeline.wait_projected(api, done["position"])
    assert seats(api, tenant) == (1, {"after-the-junk"})


def test_undecodable_events_are_dead_lettered_and_projection_goes_on(
    pipeline: Pipeline, api: httpx.Client, kafka_bootstrap: str
) -> None:
    tenant = new_tenant(api, "Garbage Events GmbH")
    events = f"{pipeline.topics_prefix}.events"
    missing = {"position": 7, "type": "SeatAssigned", "tenant_id": tenant}
    junk = [b"\x00\xff\xfe not an envelope", json.dumps(missing).encode()]
    # Keyed like the tenant's real events, so they sit in the same partition.
    publish(kafka_bootstrap, events, [(tenant.encode(), value) for value in junk])
    answer = api.post("/v1/commands", json=assign_command(tenant, "still-counted"))
    assert answer.status_code == 201, answer.text

    dead = collect(
        kafka_bootstrap,
        f"{events}.dlq",
        lambda r: r.key == tenant.encode(),
        2,
    )
    assert [r.value for r in dead] == junk
    assert all(dict(r.headers)["dlq_topic"] == events.encode() for r in dead)
    assert "Invalid JSON" in reason(dead[0]), reason(dead[0])
    assert "event_id" in reason(dead[1]) and "required" in reason(dead[1])
    pipeline.wait_projected(api, answer.json()["position"])
    assert seats(api, tenant) == (1, {"still-counted"})
    assert pipeline.processes["project"].poll() is None  # still running


def test_a_redelivered_command_is_answered_twice_and_applied_once(
    pipeline: Pipeline, api: httpx.Client, kafka_bootstrap: str
) -> None:
    tenant = new_tenant(api, "Echo Echo AG")
    # A command_id is scoped to the key the command acts as (docs/http.md), so the
    # command names a key that can also call over HTTP.
    made = api.post(
        "/v1/api-keys",
        json={"name": "echo", "role": "tenant_admin", "tenant_id": tenant},
    )
    assert made.status_code == 201, made.text
    key_id, secret = made.json()["key_id"], made.json()["secret"]
    command = assign_command(tenant, "only-once") | {"actor_key_id": key_id}
    key, value = command["command_id"].encode(), json.dumps(command).encode()
    prefix = pipeline.topics_prefix
    publish(kafka_bootstrap, f"{prefix}.commands", [(key, value), (key, value)])

    first, second = (
        json.loads(r.value)
        for r in collect(
            kafka_bootstrap, f"{prefix}.command-results", lambda r: r.key == key, 2
        )
    )
    assert first["ok"] is True and first["status"] == 201, first
    assert second == first
    # The same command over HTTP, by the same key: answered from the record.
    auth = {"Authorization": f"Bearer {secret}"}
    with httpx.Client(base_url=pipeline.base_url, headers=auth, timeout=30) as same:
        again = same.post("/v1/commands", json=command)
    assert (again.status_code, again.json()) == (
        first["status"],
        {k: v for k, v in first.items() if k != "status"},
    )
    # Another key's command_id is another command: refused, nothing recorded.
    other = api.post("/v1/commands", json={**command, "actor_key_id": None})
    assert other.status_code == 409, other.text
    assert other.json()["error"]["code"] == "already_assigned", other.text
    pipeline.wait_projected(api, first["position"])
    assert seats(api, tenant) == (1, {"only-once"})


# Last in the module: while the bug stands it stalls one partition of the
# shared pipeline for good.


def test_an_event_the_projection_cannot_apply_is_dead_lettered_not_retried_forever(
    pipeline: Pipeline, api: httpx.Client, kafka_bootstrap: str
) -> None:
    tenant = new_tenant(api, "Poison Pill SA")
    events = f"{pipeline.topics_prefix}.events"
    poison = {
        "position": int(api.get("/readyz").json()["store_position"]) + 1000,
        "event_id": str(uuid.uuid4()),
        "aggregate_id": str(uuid.uuid4()),
        "aggregate_type": "SeatPool",
        "aggregate_version": 2,
        "type": "SeatAssigned",
        "schema_version": 1,
        "occurred_at": "2026-01-01T00:00:00+00:00",
        "tenant_id": tenant,
        "actor": "key:forged",
        "correlation_id": None,
        "causation_id": None,
        "payload": {},  # no holder_id
    }
    publish(kafka_bootstrap, events, [(tenant.encode(), json.dumps(poison).encode())])
    answer = api.post("/v1/commands", json=assign_command(tenant, "after-poison"))
    assert answer.status_code == 201, answer.text
    deadline = time.monotonic() + 30
    while seats(api, tenant) != (1, {"after-poison"}):
        assert time.monotonic() < deadline, "the partition is stuck on the poison"
        time.sleep(0.2)
    [dead] = collect(
        kafka_bootstrap, f"{events}.dlq", lambda r: r.key == tenant.encode(), 1
    )
    assert json.loads(dead.value) == poison and "holder_id" in reason(dead)


def test_an_event_too_large_for_kafka_is_marked_on_the_dlq_not_retried_forever(
    pipeline: Pipeline, api: httpx.Client, kafka_bootstrap: str
) -> None:
    tenant = new_tenant(api, "Huge Event AG")
    settings = Settings(
        database_url=pipeline.env["SEATLEDGER_DATABASE_URL"],
        postgres_schema=pipeline.env["SEATLEDGER_POSTGRES_SCHEMA"],
    )
    store = Persistence(settings.eventsourcing_env())
    try:
        state = {"_meta": {"tenant_id": tenant}, "padding": "x" * 1_200_000}
        huge = StoredEvent(
            originator_id=uuid.uuid4(),
            originator_version=1,
            topic="domain.claim:Claim.Claimed",
            state=json.dumps(state).encode(),
        )
        [position] = store.recorder.insert_events([huge])
    finally:
        store.close()
    answer = api.post("/v1/commands", json=assign_command(tenant, "after-huge"))
    assert answer.status_code == 201, answer.text

    [marker] = collect(
        kafka_bootstrap,
        f"{pipeline.topics_prefix}.events.dlq",
        lambda r: r.key == tenant.encode() and b'"position"' in r.value,
        1,
    )
    assert json.loads(marker.value)["position"] == position
    assert "message limit" in reason(marker)
    # The events after it went on: the pipeline did not stall.
    pipeline.wait_projected(api, answer.json()["position"])
    assert seats(api, tenant) == (1, {"after-huge"})
