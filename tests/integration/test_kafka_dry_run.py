"""A dry run over the Kafka command topic: answered on the results topic
like the command would be, saying `dry_run`, and nothing recorded."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kafka import KafkaConsumer

from application.envelopes import CommandGateway
from consumers.commands import CommandConsumer
from domain.commands import AssignSeat, CreateTenant, SetSeatLimit
from infra.bootstrap import Container, bootstrap
from infra.settings import Settings
from tests.support import run


@pytest.fixture
def kafka_container(tmp_path: Path, kafka_bootstrap: str) -> Iterator[Container]:
    settings = Settings(
        data_dir=tmp_path / "data",
        bootstrap_key="k" * 40,
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=f"dry{uuid.uuid4().hex[:8]}",
        topic_partitions=1,
    )
    c = bootstrap(settings, configure_logging=False)
    c.ensure_topics()
    consumer = CommandConsumer(
        CommandGateway(c.bus),
        c.authenticator.by_key_id,
        lambda: c.kafka_consumer(c.topics.commands_group),
        c.kafka_producer,
        c.topics,
    )
    thread = threading.Thread(target=consumer.run, daemon=True)
    thread.start()
    try:
        yield c
    finally:
        consumer.stop()
        thread.join(timeout=30)
        c.close()


def answers(c: Container, wanted: set[str]) -> dict[str, dict[str, Any]]:
    results = KafkaConsumer(
        c.topics.command_results,
        bootstrap_servers=c.settings.kafka_bootstrap,
        auto_offset_reset="earliest",
        consumer_timeout_ms=500,
    )
    found: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + 60
    try:
        while not wanted <= found.keys():
            assert time.monotonic() < deadline, f"no answer for {wanted - found.keys()}"
            for record in results:
                body = json.loads(record.value)
                found[body["command_id"]] = body
    finally:
        results.close()
    return found


def test_a_dry_run_over_kafka_is_answered_as_the_command_would_be(
    kafka_container: Container,
) -> None:
    c = kafka_container
    created = run(c, CreateTenant(name="Kafka dry run")).view
    tid = created.tenant_id  # type: ignore[union-attr]
    run(c, SetSeatLimit(tenant_id=tid, pool="jobs", limit=1))
    run(c, AssignSeat(tenant_id=tid, pool="jobs", holder_id="a"))
    run(c, SetSeatLimit(tenant_id=tid, pool="desks", limit=5))
    head = c.log.head()
    cases = {  # command id: (pool, holder)
        "would-succeed": ("desks", "b"),
        "already-assigned": ("jobs", "a"),
        "quota-exhausted": ("jobs", "b"),
    }
    ids = {name: str(uuid.uuid4()) for name in cases}
    producer = c.kafka_producer()
    for name, (pool, holder) in cases.items():
        envelope = {
            "command_id": ids[name],
            "type": "AssignSeat",
            "tenant_id": str(tid),
            "payload": {"pool": pool, "holder_id": holder},
            "dry_run": True,
        }
        producer.send(c.topics.commands, json.dumps(envelope).encode())
    producer.flush()
    producer.close()
    got = {name: body for name, i in ids.items() for body in [answers(c, {i})[i]]}
    assert all(body["dry_run"] is True for body in got.values())
    ok = got["would-succeed"]
    assert (ok["status"], ok["ok"], ok["position"]) == (201, True, head)
    assert ok["result"]["used"] == 1
    for name in ("already-assigned", "quota-exhausted"):
        code = got[name]["error"]["code"]
        assert (got[name]["status"], code) == (409, name.replace("-", "_"))
    assert c.log.head() == head
