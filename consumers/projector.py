"""Kafka projector: `seatledger.events` -> the same projection code as embedded.

Exactly once in effect: for each partition batch, one database transaction
writes the projection rows, the next offset of that partition and the highest
position seen, and skips envelopes at or below a tenant's applied position.
Kafka offsets are committed afterwards and only save a little re-reading: on
assignment the consumer seeks to the offsets stored in the database.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import psycopg
import structlog
from kafka import (
    ConsumerRebalanceListener,
    KafkaConsumer,
    KafkaProducer,
    TopicPartition,
)
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata
from pydantic import TypeAdapter, ValidationError

from consumers.group_watch import GroupWatch
from consumers.relay import relay_position
from infra.db import Database
from infra.kafka_io import Topics, partition_for
from infra.waiting import KAFKA, POSTGRES, Health, Retrying
from projections.envelope import Envelope
from projections.registry import advance_checkpoint, apply_batch, checkpoint
from projections.sql import Tx

log = structlog.get_logger(__name__)
_ENVELOPE = TypeAdapter(Envelope)
FAILPOINT_AFTER_DB_COMMIT = "projector_after_db_commit"
# How often applied offsets are told to Kafka (see Projector.tell_offsets).
OFFSET_COMMIT_S = 1.0
# Errors an envelope's own content causes (a payload missing a field, a value
# of the wrong type): it goes to the DLQ. Anything else is retried.
POISON: tuple[type[Exception], ...] = (
    KeyError,
    TypeError,
    ValueError,
    AttributeError,
    psycopg.errors.DataError,
    sqlite3.DataError,
)


def offset_source(tp: TopicPartition) -> str:
    return f"kafka:{tp.topic}:{tp.partition}"


def _position_source(tp: TopicPartition) -> str:
    return f"kafka-pos:{tp.topic}:{tp.partition}"


def _watermark_source(tp: TopicPartition) -> str:
    return f"kafka-wm:{tp.topic}:{tp.partition}"


def kafka_watermark(tx: Tx, topic: str, tenant_id: str | None = None) -> int:
    """Every event at or below this position is applied: on every partition,
    or, given a tenant, on the one partition that carries its events."""
    rows = tx.execute(
        "SELECT source, position FROM projection_checkpoints WHERE source LIKE ?",
        (f"kafka-wm:{topic}:%",),
    )
    marks = {int(source.rsplit(":", 1)[1]): int(position) for source, position in rows}
    if not marks:
        return 0
    if tenant_id is None:
        return min(marks.values())
    return marks.get(partition_for(tenant_id, len(marks)), 0)


def _decoded(
    records: list[Any],
) -> tuple[list[tuple[Any, Envelope]], list[tuple[Any, str]]]:
    """The records that decode, and the others with the reason."""
    decoded: list[tuple[Any, Envelope]] = []
    rejected: list[tuple[Any, str]] = []
    for record in records:
        try:
            decoded.append((record, decode(record.value)))
        except (ValidationError, ValueError) as exc:
            rejected.append((record, str(exc)[:500]))
    return decoded, rejected


def decode(value: bytes | None) -> Envelope:
    if not value:
        raise ValueError("empty message")
    envelope = _ENVELOPE.validate_json(value)
    if envelope.position < 1 or not envelope.type:
        raise ValueError("envelope needs a positive position and a type")
    return envelope


class _SeekToStored(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, projector: Projector, consumer: KafkaConsumer) -> None:
        self.projector = projector
        self.consumer = consumer

    def on_partitions_revoked(self, revoked: Sequence[TopicPartition]) -> None:
        # Every applied batch is already committed to the database; only the
        # Kafka offsets not yet told are told now, while they are ours.
        self.projector.tell_offsets(self.consumer, now=True)

    def on_partitions_assigned(self, assigned: Sequence[TopicPartition]) -> None:
        with self.projector.db.transaction() as tx:
            for tp in assigned:
                offset = checkpoint(tx, offset_source(tp))
                self.projector.next_offsets[tp] = offset
                advance_checkpoint(tx, _watermark_source(tp), 0)  # a row per partition
                self.consumer.seek(tp, offset)
        log.info("partitions assigned", partitions=[tp.partition for tp in assigned])


class Projector:
    def __init__(
        self,
        db: Database,
        make_consumer: Callable[[], KafkaConsumer],
        make_producer: Callable[[], KafkaProducer],
        topics: Topics,
        failpoint: str | None = None,
    ) -> None:
        self.db = db
        self.make_consumer = make_consumer
        self.make_producer = make_producer
        self.topics = topics
        self.failpoint = failpoint
        self.next_offsets: dict[TopicPartition, int] = {}
        self._stop = threading.Event()
        self._producer: KafkaProducer | None = None
        self._last_watermark = 0.0
        self._untold: dict[TopicPartition, OffsetAndMetadata] = {}
        self._told_at = 0.0

    def run(
        self, health: Health | None = None, watch: GroupWatch | None = None
    ) -> None:
        retrying = Retrying(health or Health(), self._stop)
        watch = watch or GroupWatch("projector")
        consumer = self._join(retrying)
        try:
            while consumer is not None and not self._stop.is_set():
                try:
                    batches = consumer.poll(timeout_ms=100)
                except KafkaError as exc:
                    # The client reconnects by itself; nothing was consumed.
                    retrying.failed(exc, "kafka poll")
                    continue
                # Stopping: this poll is left unapplied; its offsets were not
                # stored, so it is read again on restart.
                if batches and not self._stop.is_set():
                    self._apply_poll(consumer, batches, retrying)
                try:
                    self._advance_watermark(consumer, busy=bool(batches))
                except Exception as exc:
                    # Only freshness suffers; the next round tries again.
                    retrying.failed(exc, "watermark")
                if watch.stuck(consumer):
                    consumer.close(autocommit=False)
                    consumer = self._join(retrying)
                    watch.rejoined()
        finally:
            if consumer is not None:
                with contextlib.suppress(Exception):  # a convenience, as ever
                    self.tell_offsets(consumer, now=True)
                consumer.close(autocommit=False)
            if self._producer is not None:
                self._producer.close(timeout=5)

    def _join(self, retrying: Retrying) -> KafkaConsumer | None:
        """A subscribed consumer, waiting for Kafka as long as it takes
        (None when stopped meanwhile)."""
        while not self._stop.is_set():
            try:
                consumer = self.make_consumer()
            except KafkaError as exc:
                retrying.failed(exc, "kafka consumer")
                continue
            consumer.subscribe(
                [self.topics.events], listener=_SeekToStored(self, consumer)
            )
            retrying.succeeded(KAFKA)
            return consumer
        return None

    def _apply_poll(
        self,
        consumer: KafkaConsumer,
        batches: dict[TopicPartition, list[Any]],
        retrying: Retrying,
    ) -> None:
        """A poll's records of every partition in one transaction (one round
        trip, one commit), then their offsets in one Kafka commit. A poll
        holding an envelope the projections cannot apply is rolled back and
        applied partition by partition, where the salvage path dead-letters
        that envelope."""
        try:
            with self.db.batch() as tx:
                done = {
                    tp: self._write(tx, tp, *_decoded(records), records[-1].offset + 1)
                    for tp, records in batches.items()
                }
        except POISON:
            for tp, records in batches.items():
                self._apply_or_rewind(consumer, tp, records, retrying)
            return
        except Exception as exc:
            # Exactly once in effect: nothing of this poll was committed, so
            # every partition rewinds to its stored offset and is read again.
            for tp, records in batches.items():
                consumer.seek(tp, self.next_offsets.get(tp, records[0].offset))
            retrying.failed(exc, "projection batch")
            return
        retrying.succeeded(POSTGRES)
        self._committed(consumer, done)

    def _committed(
        self,
        consumer: KafkaConsumer,
        done: dict[TopicPartition, tuple[int, int, int]],
    ) -> None:
        """After the database commit: offsets remembered, then told to Kafka
        (a convenience only: losing it re-reads records that the database
        positions then skip)."""
        for tp, (reached, _, _) in done.items():
            self.next_offsets[tp] = reached
        if self.failpoint == FAILPOINT_AFTER_DB_COMMIT:
            os.kill(os.getpid(), signal.SIGKILL)  # test hook: crash before Kafka commit
        self._untold.update(
            {tp: OffsetAndMetadata(r, "", -1) for tp, (r, _, _) in done.items()}
        )
        self.tell_offsets(consumer)
        for tp, (reached, applied, rejected) in done.items():
            log.info(
                "projected",
                partition=tp.partition,
                offset=reached - 1,
                applied=applied,
                rejected=rejected,
            )

    def _write(
        self,
        tx: Tx,
        tp: TopicPartition,
        decoded: list[tuple[Any, Envelope]],
        rejected: list[tuple[Any, str]],
        reached: int,
    ) -> tuple[int, int, int]:
        """One partition's part of a poll's transaction: (reached, applied,
        rejected)."""
        applied, _ = self._write_batch(tx, tp, decoded, reached, rejected)
        return reached, applied, len(rejected)

    def _apply_or_rewind(
        self,
        consumer: KafkaConsumer,
        tp: TopicPartition,
        records: list[Any],
        retrying: Retrying,
    ) -> None:
        try:
            self._apply(consumer, tp, records)
        except Exception as exc:
            # Exactly once in effect: nothing of this batch was committed, so
            # rewind to the stored offset and read it again after the wait.
            consumer.seek(tp, self.next_offsets.get(tp, records[0].offset))
            retrying.failed(exc, f"projection batch (partition {tp.partition})")
            return
        retrying.succeeded(POSTGRES)

    def _apply(
        self, consumer: KafkaConsumer, tp: TopicPartition, records: list[Any]
    ) -> None:
        decoded, rejected = _decoded(records)
        reached = records[-1].offset + 1
        try:
            # Fast path: the whole batch in one go, no savepoints.
            applied, unapplicable = self._commit(tp, decoded, reached, rejected)
        except POISON:
            # One envelope's content failed and the batch rolled back: apply
            # it again envelope by envelope, dead-lettering what fails.
            applied, unapplicable = self._commit(
                tp, decoded, reached, rejected, salvage=True
            )
        rejected += unapplicable
        self.next_offsets[tp] = reached
        if self.failpoint == FAILPOINT_AFTER_DB_COMMIT:
            os.kill(os.getpid(), signal.SIGKILL)  # test hook: crash before Kafka commit
        self._untold[tp] = OffsetAndMetadata(reached, "", -1)
        self.tell_offsets(consumer)
        log.info(
            "projected",
            partition=tp.partition,
            offset=reached - 1,
            applied=applied,
            rejected=len(rejected),
        )

    def tell_offsets(self, consumer: KafkaConsumer, now: bool = False) -> None:
        """Commits the applied offsets to Kafka at most every OFFSET_COMMIT_S
        (or `now`): a convenience for tools that read a group's lag, never
        where the projector resumes (the positions stored with the rows are),
        so a synchronous round trip per poll was broker and client CPU spent
        on nothing."""
        moment = time.monotonic()
        if not self._untold or (not now and moment - self._told_at < OFFSET_COMMIT_S):
            return
        held = consumer.assignment()
        offsets = {tp: o for tp, o in self._untold.items() if tp in held}
        self._untold, self._told_at = {}, moment
        if not offsets:
            return
        try:
            consumer.commit(offsets)
        except KafkaError as exc:
            log.warning("offset commit failed", error=str(exc))

    def _commit(
        self,
        tp: TopicPartition,
        decoded: list[tuple[Any, Envelope]],
        reached: int,
        rejected: list[tuple[Any, str]],
        salvage: bool = False,
    ) -> tuple[int, list[tuple[Any, str]]]:
        """One transaction: rows, the partition's offset and its watermark.

        Returns how many envelopes were applied and, when salvaging, the
        records of those the projections could not apply (dead-lettered)."""
        # Salvaging runs envelope by envelope with savepoints, whose errors
        # must surface at once: not pipelined.
        with self.db.transaction() if salvage else self.db.batch() as tx:
            return self._write_batch(tx, tp, decoded, reached, rejected, salvage)

    def _write_batch(
        self,
        tx: Tx,
        tp: TopicPartition,
        decoded: list[tuple[Any, Envelope]],
        reached: int,
        rejected: list[tuple[Any, str]],
        salvage: bool = False,
    ) -> tuple[int, list[tuple[Any, str]]]:
        record_of = {id(envelope): record for record, envelope in decoded}
        unapplicable: list[tuple[Any, str]] = []

        def reject(envelope: Envelope, reason: str) -> None:
            unapplicable.append((record_of[id(envelope)], reason))

        applied = apply_batch(
            tx,
            [envelope for _, envelope in decoded],
            offset_source(tp),
            reached,
            reject if salvage else None,
            POISON,
        )
        # Dead letters are sent before the commit: at-least-once into the
        # DLQ, never lost (a crash here may send one twice).
        if rejected or unapplicable:
            self._dead_letter(rejected + unapplicable)
        bad = {id(record) for record, _ in unapplicable}
        good = [e.position for r, e in decoded if id(r) not in bad]
        if good:
            top = max(good)
            advance_checkpoint(tx, _position_source(tp), top)
            # Safe at once: this partition applied everything up to top.
            advance_checkpoint(tx, _watermark_source(tp), top)
        return applied, unapplicable

    def _dead_letter(self, rejected: list[tuple[Any, str]]) -> None:
        # At-least-once into the DLQ, before the offsets move past the record:
        # a crash here may put the same record there twice, never lose it.
        producer = self._producer or self.make_producer()
        self._producer = producer
        futures = [
            producer.send(
                self.topics.events_dlq,
                key=record.key,
                value=record.value,
                headers=[
                    ("dlq_reason", reason.encode()),
                    ("dlq_topic", record.topic.encode()),
                    ("dlq_partition", str(record.partition).encode()),
                    ("dlq_offset", str(record.offset).encode()),
                ],
            )
            for record, reason in rejected
        ]
        producer.flush()
        for future in futures:
            future.get(timeout=0)
        for record, reason in rejected:
            log.warning(
                "undecodable event sent to the DLQ",
                partition=record.partition,
                offset=record.offset,
                reason=reason,
            )

    def _advance_watermark(self, consumer: KafkaConsumer, busy: bool) -> None:
        """Records, per partition, a position below which everything is applied.

        The relay's position R is read before the end offsets: every event at
        or below R was acknowledged by Kafka, so it lies below those end
        offsets; a partition applied up to its end offset has applied them.
        """
        now = time.monotonic()
        if busy and now - self._last_watermark < 0.05:
            return
        self._last_watermark = now
        assigned = list(consumer.assignment())
        if not assigned:
            return
        with self.db.read() as tx:
            relayed = relay_position(tx)
            seen = {tp: checkpoint(tx, _position_source(tp)) for tp in assigned}
        ends = consumer.end_offsets(assigned, timeout_ms=2000)
        with self.db.transaction() as tx:
            for tp in assigned:
                caught_up = self.next_offsets.get(tp, 0) >= ends.get(tp, 0)
                mark = max(seen[tp], relayed) if caught_up else seen[tp]
                advance_checkpoint(tx, _watermark_source(tp), mark)

    def stop(self) -> None:
        self._stop.set()
