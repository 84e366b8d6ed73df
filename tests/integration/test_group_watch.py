"""A consumer holding no partitions while its group is empty is told to
rejoin; a spare member of a live group (more members than partitions) is
left alone; a fresh consumer polling in short steps gets its partition.
Real broker, real group coordinator."""

from __future__ import annotations

import time
import uuid

from kafka import KafkaConsumer
from kafka.admin import KafkaAdminClient, NewTopic

from consumers.group_watch import GroupWatch
from infra import kafka_io
from infra.metrics import Metrics


def new_topic(bootstrap: str) -> str:
    topic = f"gw-{uuid.uuid4().hex[:8]}"
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        admin.create_topics([NewTopic(topic, 1, 1)])
    finally:
        admin.close()
    return topic


def poll_until(consumers: list[KafkaConsumer], held: list[int]) -> None:
    """Polls until the members hold these many partitions, ten polls running."""
    deadline, settled = time.monotonic() + 60, 0
    while settled < 10:
        assert time.monotonic() < deadline, "the group never settled"
        for consumer in consumers:
            consumer.poll(timeout_ms=100)
        now = sorted(len(c.assignment()) for c in consumers)
        settled = settled + 1 if now == held else 0


def test_a_consumer_outside_an_empty_group_is_told_to_rejoin(
    kafka_bootstrap: str,
) -> None:
    metrics = Metrics()
    topic = new_topic(kafka_bootstrap)
    consumer = kafka_io.consumer(kafka_bootstrap, f"g-{uuid.uuid4().hex[:8]}")
    watch = GroupWatch("test", bound_s=0.2, metrics=metrics)
    try:
        consumer.subscribe([topic])
        poll_until([consumer], [1])
        # What the drill saw: revoked, holding nothing, the group Empty.
        consumer.unsubscribe()
        assert not watch.stuck(consumer)  # the bound starts now
        time.sleep(0.3)
        assert watch.stuck(consumer)
        assert not watch.stuck(consumer)  # asks again only after another bound
    finally:
        consumer.close()
    sample = metrics.registry.get_sample_value
    assert sample("seatledger_group_rejoins_total", {"consumer": "test"}) == 1
    assert sample("seatledger_assigned_partitions", {"consumer": "test"}) == 0


def test_a_spare_member_of_a_live_group_stays_put(kafka_bootstrap: str) -> None:
    topic, group = new_topic(kafka_bootstrap), f"g-{uuid.uuid4().hex[:8]}"
    members = [kafka_io.consumer(kafka_bootstrap, group) for _ in range(2)]
    try:
        for member in members:
            member.subscribe([topic])
        poll_until(members, [0, 1])
        [spare] = [m for m in members if not m.assignment()]
        watch = GroupWatch("spare", bound_s=0.2)
        assert not watch.stuck(spare)
        time.sleep(0.3)
        for member in members:
            member.poll(timeout_ms=100)  # heartbeats: the group stays Stable
        assert not watch.stuck(spare)
    finally:
        for member in members:
            member.close()


def test_fresh_consumers_polling_in_short_steps_get_their_partition(
    kafka_bootstrap: str,
) -> None:
    """kafka-python 3.0.12 dropped the assignment of a rejoin whose SyncGroup
    answer came after a poll's timeout: with 5 ms polls most fresh consumers
    held nothing for good. `kafka_io.Consumer` awaits the unread join."""
    for _ in range(6):
        topic = new_topic(kafka_bootstrap)
        consumer = kafka_io.consumer(kafka_bootstrap, f"g-{uuid.uuid4().hex[:8]}")
        try:
            consumer.subscribe([topic])
            deadline = time.monotonic() + 20
            while not consumer.assignment():
                assert time.monotonic() < deadline, (
                    "the consumer never got its partition"
                )
                consumer.poll(timeout_ms=5)
        finally:
            consumer.close()
