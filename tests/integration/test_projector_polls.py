"""The Kafka projector applies a poll of several partitions in one
transaction; an envelope the projections cannot apply sends that poll down
the partition-by-partition path, where it alone is dead-lettered. Real
Kafka and PostgreSQL."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic

from consumers.projector import Projector, kafka_watermark
from infra import kafka_io
from infra.db import PostgresDatabase
from projections.registry import create_tables
from projections.sql import Tx
from projections.usage import holders_of
from tests.conftest import fresh_schema
from tests.unit.sqlite_projections import Log

PARTITIONS = 3
T = TypeVar("T")


@pytest.fixture
def topics(kafka_bootstrap: str) -> kafka_io.Topics:
    topics = kafka_io.Topics(f"polls{uuid.uuid4().hex[:8]}")
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    admin.create_topics(
        [
            NewTopic(topics.events, PARTITIONS, 1),
            NewTopic(topics.events_dlq, 1, 1),
        ]
    )
    admin.close()
    return topics


@pytest.fixture
def db(pg_url: str) -> Iterator[PostgresDatabase]:
    db = PostgresDatabase(pg_url, fresh_schema(pg_url))
    with db.transaction() as tx:
        create_tables(tx)
    yield db
    db.close()


@contextmanager
def running(
    bootstrap: str, topics: kafka_io.Topics, db: PostgresDatabase, group: str
) -> Iterator[Projector]:
    """A projector of the group in a thread of its own, stopped at the end."""
    projector = Projector(
        db,
        lambda: kafka_io.consumer(bootstrap, group),
        lambda: kafka_io.producer(bootstrap),
        topics,
    )
    runner = threading.Thread(target=projector.run, daemon=True)
    runner.start()
    try:
        yield projector
    finally:
        projector.stop()
        runner.join(timeout=30)


def until(db: PostgresDatabase, read: Callable[[Tx], T], wanted: T) -> T:
    """Reads until the answer is `wanted` (a minute at most); the last answer."""
    deadline = time.monotonic() + 60
    while True:
        with db.read() as tx:
            found = read(tx)
        if found == wanted or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def _publish(bootstrap: str, topics: kafka_io.Topics, log: Log) -> list[str]:
    """Three tenants on every partition, each with a pool and 10 holders;
    the second tenant's 5th assignment has no holder (a poison payload)."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    tenants = []
    for n in range(3):
        tenant = log.tenant(f"T{n}")
        t = tenant.aggregate_id
        tenants.append(t)
        envelopes = [tenant, log.opened(t, "seats", 100)]
        for i in range(10):
            bad = n == 1 and i == 4
            payload = {"end_date": None} if bad else {"holder_id": f"h{i}"}
            envelopes.append(log.pool(t, "seats", "SeatAssigned", **payload))
        for e in envelopes:
            producer.send(
                topics.events,
                key=t.encode(),
                partition=n % PARTITIONS,
                value=kafka_io.encode_envelope(e),
            )
    producer.flush()
    producer.close()
    return tenants


def test_a_poll_is_applied_at_once_and_a_poison_envelope_alone_is_dead_lettered(
    kafka_bootstrap: str, topics: kafka_io.Topics, db: PostgresDatabase
) -> None:
    tenants = _publish(kafka_bootstrap, topics, Log())
    with running(kafka_bootstrap, topics, db, f"g{uuid.uuid4().hex[:6]}"):

        def held(tx: Tx) -> list[int]:
            return [len(holders_of(tx, t, "seats", None, 100)) for t in tenants]

        assert until(db, held, [10, 9, 10]) == [10, 9, 10]
    dlq = KafkaConsumer(
        topics.events_dlq,
        bootstrap_servers=kafka_bootstrap,
        auto_offset_reset="earliest",
        consumer_timeout_ms=5000,
    )
    reasons = [dict(r.headers).get("dlq_reason", b"").decode() for r in dlq]
    dlq.close()
    assert len(reasons) == 1 and "holder_id" in reasons[0]
    with db.read() as tx:
        assert kafka_watermark(tx, topics.events, tenants[2]) > 0


def test_applied_offsets_reach_kafka_by_the_time_the_projector_stops(
    kafka_bootstrap: str, topics: kafka_io.Topics, db: PostgresDatabase
) -> None:
    """Offsets are told to Kafka at most once a second while running (the
    database holds where the projector is), and all of them on a clean stop,
    so a group's lag read from Kafka ends at zero."""
    tenants = _publish(kafka_bootstrap, topics, Log())
    group = f"g{uuid.uuid4().hex[:6]}"
    with running(kafka_bootstrap, topics, db, group) as projector:

        def projected(tx: Tx) -> bool:
            return kafka_watermark(tx, topics.events, tenants[2]) > 0 and all(
                holders_of(tx, t, "seats", None, 100) for t in tenants
            )

        until(db, projected, True)
    reader = kafka_io.consumer(kafka_bootstrap, group)
    try:
        parts = [TopicPartition(topics.events, p) for p in range(PARTITIONS)]
        told = {tp: reader.committed(tp) for tp in parts}
    finally:
        reader.close(autocommit=False)
    # 12 records a partition: the tenant, its pool and ten assignments.
    assert told == projector.next_offsets == {tp: 12 for tp in parts}
