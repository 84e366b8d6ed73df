"""The transactional outbox: the event store's log -> Kafka `seatledger.events`.

At-least-once, in position order per partition: a batch is read after the
relay's recorded position, sent with an idempotent producer (acks=all), and
only after every send is acknowledged is the new position recorded. A crash
or a Kafka outage in between re-sends the batch; the projector skips what it
already applied.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable
from typing import Any

import structlog
from kafka import KafkaProducer

from application.ports import EventLog
from infra.db import Database
from infra.kafka_io import Topics, encode_envelope, event_headers, partition_for
from infra.waiting import KAFKA, POSTGRES, Health, Retrying, classify
from projections.envelope import Envelope
from projections.sql import Tx

log = structlog.get_logger(__name__)

# Kafka's default message limit is 1 MiB (producer max_request_size, broker
# message.max.bytes); stay below it with room for headers.
MAX_MESSAGE_BYTES = 1_000_000

TABLE = """CREATE TABLE IF NOT EXISTS relay_positions (
    name TEXT PRIMARY KEY,
    position BIGINT NOT NULL,
    updated_at DOUBLE PRECISION NOT NULL)"""


def relay_position(tx: Tx, name: str = "events") -> int:
    rows = tx.execute("SELECT position FROM relay_positions WHERE name = ?", (name,))
    return int(rows[0][0]) if rows else 0


class Relay:
    def __init__(
        self,
        events: EventLog,
        db: Database,
        make_producer: Callable[[], KafkaProducer],
        topics: Topics,
        batch: int = 500,
        poll_s: float = 0.01,
    ) -> None:
        self.events = events
        self.db = db
        self.make_producer = make_producer
        self._producer: KafkaProducer | None = None
        self.topics = topics
        self.batch = batch
        self.poll_s = poll_s
        self._stop = threading.Event()

    def position(self) -> int:
        with self.db.read() as tx:
            return relay_position(tx)

    def step(self) -> int:
        """Publishes the next batch; returns how many events it published."""
        envelopes = self.events.after(self.position(), self.batch)
        if not envelopes:
            return 0
        producer = self._producer or self.make_producer()
        self._producer = producer
        partitions = len(producer.partitions_for(self.topics.events))
        futures = []
        for e in envelopes:
            value = encode_envelope(e)
            if len(value) > MAX_MESSAGE_BYTES:
                futures.append(self._too_large(producer, e, len(value)))
                continue
            futures.append(
                producer.send(
                    self.topics.events,
                    key=(e.tenant_id or "").encode(),
                    partition=partition_for(e.tenant_id, partitions),
                    value=value,
                    headers=event_headers(e),
                )
            )
        producer.flush()
        for future in futures:
            future.get(timeout=0)  # raises if any send failed: nothing recorded
        reached = envelopes[-1].position
        with self.db.transaction() as tx:
            tx.execute(
                "INSERT INTO relay_positions (name, position, updated_at)"
                " VALUES ('events', ?, ?) ON CONFLICT (name) DO UPDATE SET"
                " position = excluded.position, updated_at = excluded.updated_at",
                (reached, time.time()),
            )
        # A short batch read everything there was: no lag worth a query.
        lag = self.events.head() - reached if len(envelopes) == self.batch else 0
        log.info("relayed", count=len(envelopes), position=reached, lag=lag)
        return len(envelopes)

    def _too_large(self, producer: KafkaProducer, e: Envelope, size: int) -> Any:
        """An event Kafka would refuse forever must not stall every event after
        it: its place is marked on the dead-letter topic, loudly."""
        reason = f"{size} bytes: larger than Kafka's message limit"
        log.error(
            "event too large for Kafka; dead-lettered", position=e.position, size=size
        )
        marker = {"position": e.position, "event_id": e.event_id, "type": e.type}
        return producer.send(
            self.topics.events_dlq,
            key=(e.tenant_id or "").encode(),
            value=json.dumps(marker).encode(),
            headers=[("dlq_reason", reason.encode())],
        )

    def run(self, health: Health | None = None) -> None:
        retrying = Retrying(health or Health(), self._stop)
        try:
            while not self._stop.is_set():
                try:
                    sent = self.step()
                except Exception as exc:
                    # At-least-once: the position is recorded only after Kafka
                    # acknowledged every send, so the whole batch is sent
                    # again once Kafka and the store answer.
                    if classify(exc) == KAFKA:
                        self._drop_producer()
                    retrying.failed(exc, "relay step")
                    continue
                retrying.succeeded(POSTGRES, *([KAFKA] if sent else []))
                if sent < self.batch:
                    self._stop.wait(self.poll_s)
        finally:
            self._drop_producer()

    def _drop_producer(self) -> None:
        # A producer that gave up on a batch may hold a broken sequence; a new
        # one starts clean (its idempotence epoch is new, order is kept because
        # the batch is re-sent from its first event).
        if self._producer is not None:
            # Closing a broken client must not stop the relay.
            with contextlib.suppress(Exception):
                self._producer.close(timeout=0)
            self._producer = None

    def stop(self) -> None:
        self._stop.set()

    def close(self) -> None:
        self._drop_producer()
