"""Crashes on the Kafka path: relay kill -9 mid-stream, projector kill -9 between
its database commit and its Kafka commit, and the broker going away while
commands keep arriving. Every event must take effect exactly once."""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from kafka import KafkaConsumer, TopicPartition
from kafka.admin import KafkaAdminClient

from infra.eventstore import Persistence
from infra.kafka.broker import start_broker
from infra.settings import Settings
from tests.conftest import fresh_schema
from tests.integration.pipeline import Pipeline, fresh_pipeline


@pytest.fixture
def pipeline(pg_url: str, kafka_bootstrap: str, tmp_path: Path) -> Iterator[Pipeline]:
    with fresh_pipeline(pg_url, kafka_bootstrap, tmp_path) as p:
        yield p


def new_tenant(api: httpx.Client, name: str, pools: dict[str, int]) -> str:
    created = api.post("/v1/tenants", json={"name": name})
    assert created.status_code == 201, created.text
    tenant = str(created.json()["tenant_id"])
    for pool, limit in pools.items():
        opened = api.put(f"/v1/tenants/{tenant}/seats/{pool}", json={"limit": limit})
        assert opened.status_code == 200, opened.text
    return tenant


def assign(api: httpx.Client, tenant: str, pool: str, holder: str) -> int:
    path = f"/v1/tenants/{tenant}/seats/{pool}/assignments"
    return api.post(path, json={"holder_id": holder}).status_code


def head(api: httpx.Client) -> int:
    return int(api.get("/readyz").json()["store_position"])


def projected(api: httpx.Client, tenant: str) -> dict[str, tuple[int, set[str]]]:
    """Per pool with seats in use: (used, holder ids), as the projections say."""
    found: dict[str, tuple[int, set[str]]] = {}
    for pool in api.get(f"/v1/tenants/{tenant}/usage").json()["pools"]:
        holders: list[str] = []
        params: dict[str, str | int] = {"limit": 1000}
        while True:
            path = f"/v1/tenants/{tenant}/seats/{pool['pool']}/assignments"
            page = api.get(path, params=params).json()
            holders += [h["holder_id"] for h in page["holders"]]
            if not page["next_after"]:
                break
            params["after"] = page["next_after"]
        assert len(holders) == len(set(holders)), "a holder is listed twice"
        if pool["used"] or holders:
            found[pool["pool"]] = (int(pool["used"]), set(holders))
    return found


def exact(expected: dict[str, Iterable[str]]) -> dict[str, tuple[int, set[str]]]:
    """What `projected` must say when exactly these holders were assigned."""
    return {pool: (len(set(ids)), set(ids)) for pool, ids in expected.items()}


def sql(pg_url: str, query: str, *params: object) -> list[tuple]:
    with psycopg.connect(pg_url) as conn:
        return conn.execute(query, params).fetchall()


def kafka_commits(bootstrap: str, topic: str) -> list[int]:
    """Offsets the projector's consumer group committed on `topic`."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        group = f"{topic.rsplit('.', 1)[0]}-projector"
        committed = admin.list_group_offsets({group: None}).get(group, {})
    finally:
        admin.close()
    return [
        o.offset for tp, o in committed.items() if tp.topic == topic and o.offset >= 0
    ]


def topic_positions(bootstrap: str, topic: str) -> list[int]:
    """Every envelope position on the topic, duplicates included."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        ends = consumer.end_offsets(parts)
        found: list[int] = []
        deadline = time.monotonic() + 90
        while any(consumer.position(tp) < ends[tp] for tp in parts):
            assert time.monotonic() < deadline, "could not read the events topic"
            for records in consumer.poll(timeout_ms=500).values():
                found += [json.loads(r.value)["position"] for r in records]
        return found
    finally:
        consumer.close()


def test_relay_kill_9_mid_stream_loses_nothing_and_duplicates_nothing(
    pipeline: Pipeline, kafka_bootstrap: str
) -> None:
    pipeline.start_all()
    total = 300
    outcomes: list[tuple[str, int]] = []

    def fire() -> None:
        with pipeline.client() as api:
            for holder in (f"user-{i:04d}" for i in range(total)):
                outcomes.append((holder, assign(api, tenant, "expenses", holder)))
                if outcomes[-1][1] != 201:
                    return

    with pipeline.client() as api:
        tenant = new_tenant(api, "Crashy Relay Inc", {"expenses": 500})
        shooter = threading.Thread(target=fire)
        shooter.start()
        while len(outcomes) < 100 and shooter.is_alive():
            time.sleep(0.005)
        pipeline.kill("relay")
        while len(outcomes) < 150 and shooter.is_alive():
            time.sleep(0.005)
        pipeline.start("relay")
        shooter.join(timeout=120)
        assert not shooter.is_alive()
        assert [s for _, s in outcomes] == [201] * total, outcomes[-1]
        pipeline.wait_projected(api, head(api))
        assert projected(api, tenant) == exact({"expenses": dict(outcomes).keys()})
    pg_url = pipeline.env["SEATLEDGER_DATABASE_URL"]
    schema = pipeline.env["SEATLEDGER_POSTGRES_SCHEMA"]
    [(rows,)] = sql(pg_url, f'SELECT count(*) FROM "{schema}".proj_pool_holders')
    assert rows == total
    # Nothing lost on the topic either; a re-sent batch shows up as duplicates.
    store = Persistence(
        Settings(database_url=pg_url, postgres_schema=schema).eventsourcing_env()
    )
    try:
        stored = {n.id for n in store.recorder.select_notifications(1, 100_000)}
    finally:
        store.close()
    on_topic = topic_positions(kafka_bootstrap, f"{pipeline.topics_prefix}.events")
    assert set(on_topic) == stored
    print(f"relay re-sent {len(on_topic) - len(set(on_topic))} events")


def test_projector_kill_9_after_db_commit_before_kafka_commit_applies_once(
    pipeline: Pipeline, kafka_bootstrap: str, pg_url: str
) -> None:
    pipeline.start_api()
    pipeline.start("relay")
    pipeline.start("consume-commands")
    events_topic = f"{pipeline.topics_prefix}.events"
    schema = pipeline.env["SEATLEDGER_POSTGRES_SCHEMA"]
    with pipeline.client() as api:
        tenant = new_tenant(api, "Crashy Projector GmbH", {"expenses": 100})
        first = [f"early-{i:02d}" for i in range(30)]
        for holder in first:
            assert assign(api, tenant, "expenses", holder) == 201
        # Everything so far is on the topic before the projector reads it, so
        # its first batch (the one it dies after) holds many events.
        deadline = time.monotonic() + 90
        while api.get("/readyz").json()["relay"]["lag"] > 0:
            assert time.monotonic() < deadline, "relay did not catch up"
            time.sleep(0.05)

        crashing = pipeline.start(
            "project", SEATLEDGER_FAILPOINT="projector_after_db_commit"
        )
        assert crashing.wait(timeout=120) == -9, pipeline.log("project")[-3000:]
        pipeline.processes.pop("project")
        stored = sql(
            pg_url,
            f'SELECT source, position FROM "{schema}".projection_checkpoints'
            " WHERE source LIKE %s",
            f"kafka:{events_topic}:%",
        )
        assert any(position > 0 for _, position in stored), stored  # DB committed
        assert kafka_commits(kafka_bootstrap, events_topic) == []  # Kafka did not
        [(rows,)] = sql(pg_url, f'SELECT count(*) FROM "{schema}".proj_pool_holders')
        assert 0 < rows <= len(first)  # some applied before the crash

        later = [f"late-{i:02d}" for i in range(10)]
        for holder in later:
            assert assign(api, tenant, "expenses", holder) == 201
        pipeline.start("project")
        pipeline.wait_projected(api, head(api))
        assert projected(api, tenant) == exact({"expenses": {*first, *later}})
    [(rows,)] = sql(pg_url, f'SELECT count(*) FROM "{schema}".proj_pool_holders')
    assert rows == len(first) + len(later)
    deadline = time.monotonic() + 30  # the check above can fail: it commits now
    while not kafka_commits(kafka_bootstrap, events_topic):
        assert time.monotonic() < deadline, "the projector never committed to Kafka"
        time.sleep(0.2)


def test_broker_down_commands_still_succeed_and_projections_converge(
    pg_url: str, tmp_path: Path
) -> None:
    broker = start_broker()
    restarted = None
    p = Pipeline.create(pg_url, fresh_schema(pg_url), broker.bootstrap, tmp_path)
    outcomes: list[tuple[str, int, str]] = []
    phase = ["up"]
    stop = threading.Event()

    def keep_posting() -> None:
        with p.client() as api:
            for i in range(5000):
                if stop.is_set():
                    return
                holder = f"seat-{i:05d}"
                status = assign(api, tenant, "expenses", holder)
                outcomes.append((holder, status, phase[0]))
                time.sleep(0.02)

    try:
        p.start_all()
        with p.client() as api:
            tenant = new_tenant(api, "Outage AG", {"expenses": 10_000})
            p.wait_projected(api, head(api))  # every process is up and consuming
            poster = threading.Thread(target=keep_posting)
            poster.start()
            try:
                time.sleep(1.0)
                broker.stop()
                phase[0] = "down"
                time.sleep(2.0)
                phase[0] = "restarting"
                restarted = start_broker(workdir=broker.workdir)
                phase[0] = "back"
                time.sleep(1.0)
            finally:
                stop.set()
                poster.join(timeout=60)
            assert {o[1] for o in outcomes} == {201}, outcomes
            assert any(o[2] == "down" for o in outcomes), "none posted while down"
            p.wait_projected(api, head(api), timeout=120)
            assert projected(api, tenant) == exact(
                {"expenses": {o[0] for o in outcomes}}
            )
    finally:
        p.stop_all()
        if restarted is not None:
            restarted.stop()
        broker.stop()
        shutil.rmtree(broker.workdir, ignore_errors=True)
