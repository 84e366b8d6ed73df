"""The Kafka processes started while the broker is down wait for it (the
fault drill saw `relay` exit after 32 s with `Unable to bootstrap`) and catch
up without a restart once it is there, 45 s later."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest
from kafka import KafkaProducer

from tests.conftest import fresh_schema
from tests.faults import command_results, private_broker
from tests.integration.pipeline import ROLES, Pipeline
from tests.integration.test_kafka_crashes import exact, head, new_tenant, projected

pytestmark = pytest.mark.faults

DOWN_S = 45


def send_command(bootstrap: str, topic: str, tenant: str, holder: str) -> str:
    command_id = str(uuid.uuid4())
    command = {
        "command_id": command_id,
        "type": "AssignSeat",
        "tenant_id": tenant,
        "payload": {"pool": "expenses", "holder_id": holder},
    }
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    try:
        producer.send(topic, json.dumps(command).encode()).get(timeout=60)
    finally:
        producer.close()
    return command_id


def test_kafka_processes_started_with_the_broker_down_catch_up_when_it_comes(
    pg_url: str, tmp_path: Path
) -> None:
    with private_broker(tmp_path / "kafka") as broker:
        p = Pipeline.create(
            pg_url, fresh_schema(pg_url), broker.bootstrap, tmp_path / "run"
        )
        p.workdir.mkdir()
        try:
            p.start_api()
            for role in ROLES:
                p.start(role)
            with p.client() as api:
                # The store is the truth: commands succeed with Kafka down.
                tenant = new_tenant(api, "Patient Ltd", {"expenses": 10})
                path = f"/v1/tenants/{tenant}/seats/expenses/assignments"
                assert api.post(path, json={"holder_id": "early"}).status_code == 201
                time.sleep(DOWN_S)
                gone = {r: x.poll() for r, x in p.processes.items() if x.poll()}
                assert not gone, {r: p.log(r)[-2000:] for r in gone}
                broker.start()
                command_id = send_command(
                    broker.bootstrap, f"{p.topics_prefix}.commands", tenant, "late"
                )
                [answer] = command_results(
                    broker.bootstrap, f"{p.topics_prefix}.command-results", {command_id}
                )[command_id]
                assert answer["ok"], answer
                p.wait_projected(api, head(api), timeout=120)
                assert projected(api, tenant) == exact({"expenses": {"early", "late"}})
            for role in ROLES:
                assert "dependency up" in p.log(role), p.log(role)[-2000:]
        finally:
            p.stop_all()
