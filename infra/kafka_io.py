"""Kafka clients (kafka-python), topic names and the wire format of events.

Events go out as the envelope of DESIGN.md (JSON value, key = tenant id) with
CloudEvents Kafka-binding headers in binary mode, so generic consumers can
route them without parsing the value.
"""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import dataclass
from typing import Any

import structlog
from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient
from kafka.errors import KafkaTimeoutError, TopicAlreadyExistsError
from kafka.partitioner.default import murmur2

from projections.envelope import Envelope

log = structlog.get_logger(__name__)

CE_SOURCE = "urn:seatledger"


@dataclass(frozen=True)
class Topics:
    prefix: str = "seatledger"

    @property
    def events(self) -> str:
        return f"{self.prefix}.events"

    @property
    def events_dlq(self) -> str:
        return f"{self.prefix}.events.dlq"

    @property
    def commands(self) -> str:
        return f"{self.prefix}.commands"

    @property
    def command_results(self) -> str:
        return f"{self.prefix}.command-results"

    @property
    def commands_dlq(self) -> str:
        return f"{self.prefix}.commands.dlq"

    @property
    def projector_group(self) -> str:
        return f"{self.prefix}-projector"

    @property
    def commands_group(self) -> str:
        return f"{self.prefix}-commands"

    def all(self) -> list[str]:
        return [
            self.events,
            self.events_dlq,
            self.commands,
            self.command_results,
            self.commands_dlq,
        ]


def ensure_topics(
    bootstrap: str, topics: Topics, partitions: int, timeout_s: float = 120.0
) -> None:
    """Creates the missing topics and waits until every partition of each has
    a leader; existing topics are left as they are. A slow controller (a busy
    machine, a broker still starting) is waited for, not a reason to crash."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="seatledger-admin")
    deadline = time.monotonic() + timeout_s
    try:
        existing = set(admin.list_topics())
        missing = [t for t in topics.all() if t not in existing]
        if missing:
            spec = {
                t: {"num_partitions": partitions, "replication_factor": -1}
                for t in missing
            }
            # Another process may create one first: the outcome is the same.
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics(spec)
        while True:
            try:
                admin.wait_for_topics(topics.all(), timeout_ms=10_000)
                return
            except KafkaTimeoutError:
                if time.monotonic() > deadline:
                    raise
                log.warning("topics not ready yet; waiting", topics=topics.all())
    finally:
        admin.close()


def producer(bootstrap: str, **overrides: Any) -> KafkaProducer:
    # Idempotent with acks=all: broker-side dedup of retried batches, and
    # per-partition order kept with up to 5 requests in flight.
    config: dict[str, Any] = {
        "bootstrap_servers": bootstrap,
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": 2,
        "retries": 2**31 - 1,
        "max_in_flight_requests_per_connection": 5,
        "request_timeout_ms": 10_000,
        "delivery_timeout_ms": 30_000,
        "reconnect_backoff_max_ms": 2_000,
    }
    config.update(overrides)
    return KafkaProducer(**config)


def consumer(bootstrap: str, group_id: str, **overrides: Any) -> KafkaConsumer:
    # Offsets are committed by hand after the database commit; the database
    # is where a restarted consumer learns where it is.
    config: dict[str, Any] = {
        "bootstrap_servers": bootstrap,
        "group_id": group_id,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "max_poll_records": 500,
        "reconnect_backoff_max_ms": 2_000,
        "session_timeout_ms": 10_000,
        "heartbeat_interval_ms": 1_000,
        # New partitions (or topics created after the consumer joined) are
        # seen within seconds rather than the client's default five minutes.
        "metadata_max_age_ms": 10_000,
    }
    config.update(overrides)
    return KafkaConsumer(**config)


def partition_for(tenant_id: str | None, partitions: int) -> int:
    """A tenant's partition: Kafka's own key hash (murmur2), computed here so
    the relay and the readers agree on it without asking the broker."""
    digest: int = murmur2((tenant_id or "").encode())
    return (digest & 0x7FFFFFFF) % partitions


def event_headers(e: Envelope) -> list[tuple[str, bytes]]:
    return [
        ("ce_specversion", b"1.0"),
        ("ce_id", e.event_id.encode()),
        ("ce_source", CE_SOURCE.encode()),
        ("ce_type", f"seatledger.{e.aggregate_type}.{e.type}".encode()),
        ("ce_time", e.occurred_at.encode()),
        ("ce_subject", (e.tenant_id or "").encode()),
        ("content-type", b"application/json"),
        ("type", e.type.encode()),
        ("schema_version", str(e.schema_version).encode()),
    ]


def encode_envelope(e: Envelope) -> bytes:
    return json.dumps(e.to_dict(), separators=(",", ":")).encode()
