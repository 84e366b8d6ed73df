"""The production shape on real Kafka and PostgreSQL: commands go in over HTTP
and the command topic, and come out in the projections through Kafka."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from kafka import KafkaConsumer, KafkaProducer

from tests.integration.pipeline import Pipeline, fresh_pipeline


@pytest.fixture
def pipeline(pg_url: str, kafka_bootstrap: str, tmp_path: Path) -> Iterator[Pipeline]:
    with fresh_pipeline(pg_url, kafka_bootstrap, tmp_path) as p:
        p.start_all()
        yield p


def results(bootstrap: str, topic: str, want: int, timeout_s: float = 90) -> list[dict]:
    consumer = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        consumer_timeout_ms=int(timeout_s * 1000),
    )
    found = []
    for record in consumer:
        found.append(json.loads(record.value))
        if len(found) >= want:
            break
    consumer.close()
    return found


def test_commands_over_http_and_kafka_reach_the_projections(
    pipeline: Pipeline, kafka_bootstrap: str
) -> None:
    with pipeline.client() as api:
        tenant = api.post("/v1/tenants", json={"name": "Acme"}).json()["tenant_id"]
        api.put(f"/v1/tenants/{tenant}/seats/expenses", json={"limit": 5})
        over_http = api.post(
            "/v1/commands",
            json={
                "command_id": str(uuid.uuid4()),
                "type": "AssignSeat",
                "tenant_id": tenant,
                "payload": {"pool": "expenses", "holder_id": "http-user"},
            },
        )
        assert over_http.status_code == 201, over_http.text
        command_id = str(uuid.uuid4())
        producer = KafkaProducer(bootstrap_servers=kafka_bootstrap)
        producer.send(
            f"{pipeline.topics_prefix}.commands",
            json.dumps(
                {
                    "command_id": command_id,
                    "type": "AssignSeat",
                    "tenant_id": tenant,
                    "payload": {"pool": "expenses", "holder_id": "kafka-user"},
                }
            ).encode(),
        )
        producer.flush()
        producer.close()
        [answer] = results(
            kafka_bootstrap, f"{pipeline.topics_prefix}.command-results", 1
        )
        assert answer["command_id"] == command_id and answer["ok"], answer
        pipeline.wait_projected(api, answer["position"])
        usage = api.get(f"/v1/tenants/{tenant}/usage").json()
        [pool] = usage["pools"]
        assert (pool["limit"], pool["used"]) == (5, 2)
        holders = api.get(f"/v1/tenants/{tenant}/seats/expenses/assignments").json()
        assert {h["holder_id"] for h in holders["holders"]} == {
            "http-user",
            "kafka-user",
        }
