"""Kafka clients (kafka-python), topic names and the wire format of events.

Events go out as the envelope of docs/design.md (JSON value, key = tenant id) with
CloudEvents Kafka-binding headers in binary mode, so generic consumers can
route them without parsing the value.
"""

from __future__ import annotations

import contextlib
import json
import threading
from dataclasses import dataclass
from typing import Any

import structlog
from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient
from kafka.errors import TopicAlreadyExistsError
from kafka.partitioner.default import murmur2

from infra.waiting import KAFKA, Health, until_up
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


# How long a client's constructor tries to reach a broker before it raises
# (kafka-python's default is 30 s): short, so a process waiting for Kafka at
# start-up answers SIGTERM promptly; the waiting itself is infra/waiting.py's.
BOOTSTRAP_TIMEOUT_MS = 5_000


def ensure_topics(
    bootstrap: str,
    topics: Topics,
    partitions: int,
    health: Health | None = None,
    stop: threading.Event | None = None,
    cap_s: float = 1.0,
) -> None:
    """Creates the missing topics and waits until every partition of each has
    a leader; existing topics are left as they are. A broker that is down or
    still starting is waited for, however long, never a reason to exit:
    raises Stopped only when `stop` is set meanwhile."""
    health = health or Health()
    until_up(
        lambda: _create_topics(bootstrap, topics, partitions),
        health,
        stop or threading.Event(),
        cap_s,
    )
    health[KAFKA].succeeded()


def _create_topics(bootstrap: str, topics: Topics, partitions: int) -> None:
    # Built inside the retry: the constructor itself fails while the broker
    # is down.
    admin = KafkaAdminClient(
        bootstrap_servers=bootstrap,
        client_id="seatledger-admin",
        bootstrap_timeout_ms=BOOTSTRAP_TIMEOUT_MS,
    )
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
        admin.wait_for_topics(topics.all(), timeout_ms=10_000)
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
        "bootstrap_timeout_ms": BOOTSTRAP_TIMEOUT_MS,
        # A send or metadata lookup with the broker gone fails within this
        # (default 60 s), so a stopping relay is not held for a minute.
        "max_block_ms": 10_000,
        # The client's own sensors (recorded per send, never read: the
        # service exports its metrics itself) cost CPU on every message.
        "metrics_enabled": False,
    }
    config.update(overrides)
    return KafkaProducer(**config)


class Consumer(KafkaConsumer):  # type: ignore[misc]
    """kafka-python's consumer, with a lost assignment made impossible.

    kafka-python 3.0.12 loses a rebalance's outcome when a poll's timeout
    ends between JoinGroup and SyncGroup of a rejoin that a metadata change
    started (a consumer that joined before it had the topic's metadata always
    makes one). The leader's assignment makes ``need_rejoin()`` false while
    the join task is still in flight, so no later poll awaits the task: the
    member holds no partitions, with heartbeats off, until the broker evicts
    it. With 5 ms polls 5 of 6 fresh consumers were stuck for good; with this,
    none. Marking the rejoin as needed while a join task is unread makes the
    next poll await that same task (or start a new one when it ended).
    """

    def poll(
        self,
        timeout_ms: int = 0,
        max_records: int | None = None,
        update_offsets: bool = True,
    ) -> dict[Any, Any]:
        coordinator = getattr(self, "_coordinator", None)
        if getattr(coordinator, "_join_task", None) is not None:
            coordinator.rejoin_needed = True  # type: ignore[union-attr]
        batches: dict[Any, Any] = super().poll(
            timeout_ms=timeout_ms,
            max_records=max_records,
            update_offsets=update_offsets,
        )
        return batches


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
        # How long the broker may hold a fetch that has nothing yet (default
        # 500 ms); new records end the wait at once either way.
        "fetch_max_wait_ms": 100,
        "bootstrap_timeout_ms": BOOTSTRAP_TIMEOUT_MS,
        "metrics_enabled": False,  # as the producer's
    }
    config.update(overrides)
    return Consumer(**config)


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
