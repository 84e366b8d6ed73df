"""Notices a consumer stuck outside its group and makes it rejoin.

Seen with kafka-python 3.0.x: a consumer joined with `partitions assigned []`,
was revoked, then sat in poll() for minutes holding nothing while the broker
showed its group Empty, so nothing was consumed. A consumer that holds no
partitions for longer than a bound asks the broker about its group; when the
group is empty (or no longer lists it) it must rejoin. The check is cheap and
rare: at most once per bound, and only while the consumer holds nothing, so a
spare member of a healthy group (more members than partitions) stays put.

The cause found since (a rejoin's assignment lost when a poll's timeout ends
before SyncGroup answers) is worked around in `infra.kafka_io.Consumer`; this
watch stays as the net for any other way of ending up outside the group.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

import structlog
from kafka import KafkaConsumer
from kafka.admin import KafkaAdminClient

log = structlog.get_logger(__name__)

_ALIVE = {"Stable", "PreparingRebalance", "CompletingRebalance"}


class GroupWatch:
    def __init__(self, name: str, bound_s: float = 30.0, metrics: Any = None) -> None:
        self.name = name
        self.bound_s = bound_s
        self._metrics = metrics
        self._empty_since: float | None = None

    def stuck(self, consumer: KafkaConsumer) -> bool:
        """Called after each poll: True when the consumer should rejoin."""
        held = len(consumer.assignment())
        if self._metrics is not None:
            self._metrics.assigned_partitions.labels(self.name).set(held)
        now = time.monotonic()
        if held or self._empty_since is None:
            self._empty_since = None if held else now
            return False
        if now - self._empty_since < self.bound_s:
            return False
        state = group_state(consumer)
        # Ask again only after another bound, counted from the answer: asking
        # can take longer than a short bound (a new admin connection).
        self._empty_since = time.monotonic()
        if state in _ALIVE or state is None:
            return False
        log.warning(
            "no partitions while the group is empty; rejoining",
            consumer=self.name,
            group_state=state,
            bound_s=self.bound_s,
        )
        if self._metrics is not None:
            self._metrics.group_rejoins.labels(self.name).inc()
        return True

    def rejoined(self) -> None:
        self._empty_since = None


def group_state(consumer: KafkaConsumer) -> str | None:
    """The broker's view of the consumer's group ("Empty", "Stable", ...), or
    None when the broker cannot be asked (an outage is not a stuck group)."""
    config = consumer.config
    with contextlib.suppress(Exception):
        admin = KafkaAdminClient(
            bootstrap_servers=config["bootstrap_servers"],
            client_id="seatledger-group-watch",
            bootstrap_timeout_ms=5_000,
        )
        try:
            groups = admin.describe_groups([config["group_id"]])
        finally:
            admin.close()
        group = groups.get(config["group_id"]) or {}
        error = str(group.get("error") or "")
        if error and "GroupIdNotFound" not in error:  # not found: it is gone
            return None
        return str(group.get("group_state") or "Dead")
    return None
