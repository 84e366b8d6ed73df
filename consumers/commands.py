"""Kafka command consumer: `seatledger.commands` -> the command bus -> results.

Each message is one command envelope (docs/http.md "Writes"). It is validated
with the same models as `POST /v1/commands` and run by the same bus, and its
answer is published on `seatledger.command-results` keyed by command_id. A
redelivered command is answered from its receipt without a second effect.
Messages that are not a command envelope go to the DLQ with the reason;
consumption goes on.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any
from uuid import UUID

import structlog
from kafka import ConsumerRebalanceListener, KafkaConsumer, KafkaProducer
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata, TopicPartition
from pydantic import ValidationError

from application.auth import Principal, Role
from application.envelopes import (
    Answer,
    Call,
    CommandEnvelope,
    CommandGateway,
    unauthorized,
)
from consumers.group_watch import GroupWatch
from infra.kafka_io import Topics
from infra.waiting import KAFKA, POSTGRES, Health, Retrying

log = structlog.get_logger(__name__)

# A command that names no actor key acts as the consumer itself: whoever may
# write to the command topic is trusted like the operator (Kafka ACLs guard
# it). A command that names a key acts with exactly that key's scope.
KAFKA_PRINCIPAL = Principal(key_id="kafka-commands", role=Role.OPERATOR)


class CommandConsumer:
    def __init__(
        self,
        gateway: CommandGateway,
        principals: Callable[[UUID], Principal | None],
        make_consumer: Callable[[], KafkaConsumer],
        make_producer: Callable[[], KafkaProducer],
        topics: Topics,
    ) -> None:
        self.gateway = gateway
        self.principals = principals
        self.make_consumer = make_consumer
        self.make_producer = make_producer
        self.topics = topics
        self._stop = threading.Event()

    def run(
        self, health: Health | None = None, watch: GroupWatch | None = None
    ) -> None:
        retrying = Retrying(health or Health(), self._stop)
        watch = watch or GroupWatch("commands")
        joined = self._join(retrying)
        if joined is None:
            return
        consumer, producer = joined
        log.info("consuming commands", topic=self.topics.commands)
        try:
            while not self._stop.is_set():
                try:
                    batches = consumer.poll(timeout_ms=100)
                except KafkaError as exc:
                    # The client reconnects by itself; nothing was consumed.
                    retrying.failed(exc, "kafka poll")
                    continue
                for tp, records in batches.items():
                    self._partition_batch(consumer, producer, tp, records, retrying)
                if watch.stuck(consumer):
                    # A new client: whatever state the old one was stuck in
                    # goes with it. Nothing is lost: offsets were committed
                    # only after answers were acknowledged.
                    consumer.close(autocommit=False)
                    producer.close(timeout=5)
                    joined = self._join(retrying)
                    if joined is None:
                        return
                    consumer, producer = joined
                    watch.rejoined()
        finally:
            consumer.close(autocommit=False)
            producer.close(timeout=5)

    def _join(self, retrying: Retrying) -> tuple[KafkaConsumer, KafkaProducer] | None:
        """A subscribed consumer and a producer, waiting for Kafka as long as
        it takes (None when stopped meanwhile)."""
        while not self._stop.is_set():
            try:
                consumer = self.make_consumer()
            except KafkaError as exc:
                retrying.failed(exc, "kafka consumer")
                continue
            try:
                producer = self.make_producer()
            except KafkaError as exc:
                consumer.close(autocommit=False)
                retrying.failed(exc, "kafka producer")
                continue
            consumer.subscribe([self.topics.commands], listener=_LogAssignments())
            retrying.succeeded(KAFKA)
            return consumer, producer
        return None

    def _partition_batch(
        self,
        consumer: KafkaConsumer,
        producer: KafkaProducer,
        tp: TopicPartition,
        records: list[Any],
        retrying: Retrying,
    ) -> None:
        done = records[0].offset
        try:
            if self._stop.is_set():
                # Stopping: the batch is abandoned, not lost; its offsets are
                # not committed, so it is redelivered after a restart.
                return
            done = self._answer_batch(producer, records)
            producer.flush()
        except Exception as exc:
            # At-least-once: the store or Kafka failed during the batch, or
            # its answers were not all acknowledged. Rewind to its start: what
            # was recorded is answered again from its receipt, never applied
            # twice.
            consumer.seek(tp, records[0].offset)
            retrying.failed(exc, f"command batch (offset {records[0].offset})")
            return
        retrying.succeeded(POSTGRES, KAFKA)
        if done == records[0].offset:
            return
        # After the answers are acknowledged. Losing this commit redelivers
        # the commands, which the command log then answers.
        try:
            consumer.commit({tp: OffsetAndMetadata(done, "", -1)})
        except KafkaError as exc:
            log.warning("offset commit failed", partition=tp.partition, error=str(exc))

    def _answer_batch(self, producer: KafkaProducer, records: list[Any]) -> int:
        """Answers a partition's polled records in order; returns the offset
        after the last one answered. The commands are submitted together,
        so the bus saves them in as few transactions as it can (one each
        would cost a commit per command); answers are sent in offset order."""
        calls: list[tuple[Any, Call | Answer | None]] = [
            (record, self._call(producer, record)) for record in records
        ]
        runnable = [c for _, c in calls if c is not None and not isinstance(c, Answer)]
        ran = iter(self.gateway.answer_all(runnable))
        done = int(records[0].offset)
        for record, call in calls:
            if call is not None:
                answer = call if isinstance(call, Answer) else next(ran)
                self._publish(producer, record, answer)
            done = int(record.offset) + 1
        return done

    def _call(self, producer: KafkaProducer, record: Any) -> Call | Answer | None:
        """The command to run, an answer given without running (its actor is
        unknown), or None (not a command envelope: dead-lettered)."""
        try:
            envelope = CommandEnvelope.model_validate_json(record.value or b"")
        except ValidationError as exc:
            self._dead_letter(producer, record, _reason(exc))
            return None
        correlation_id = _header(record, "correlation_id") or str(envelope.command_id)
        who = self._principal(envelope)
        if who is None:
            return unauthorized(envelope)
        return (who, envelope, correlation_id)

    def _publish(self, producer: KafkaProducer, record: Any, answer: Answer) -> None:
        envelope = CommandEnvelope.model_validate_json(record.value)
        correlation_id = _header(record, "correlation_id") or str(envelope.command_id)
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(
            correlation_id=correlation_id, command_id=str(envelope.command_id)
        )
        if answer.status == 422 and not answer.body.get("ok"):
            # Malformed payload: answered (the sender is waiting for a result)
            # and dead-lettered with the reason, like any malformed message.
            self._dead_letter(producer, record, json.dumps(answer.body["error"]))
        producer.send(
            self.topics.command_results,
            key=str(envelope.command_id).encode(),
            value=json.dumps({**answer.body, "status": answer.status}).encode(),
            headers=[("correlation_id", correlation_id.encode())],
        )
        log.info(
            "command handled",
            type=envelope.type,
            ok=answer.body.get("ok"),
            position=answer.body.get("position"),
            partition=record.partition,
            offset=record.offset,
        )

    def _principal(self, envelope: CommandEnvelope) -> Principal | None:
        """The key a command names acts (None: unknown or revoked); one that
        names none acts as the consumer itself."""
        if envelope.actor_key_id is None:
            return KAFKA_PRINCIPAL
        return self.principals(envelope.actor_key_id)

    def _dead_letter(self, producer: KafkaProducer, record: Any, reason: str) -> None:
        producer.send(
            self.topics.commands_dlq,
            key=record.key,
            value=record.value,
            headers=[
                ("dlq_reason", reason[:2000].encode()),
                ("dlq_partition", str(record.partition).encode()),
                ("dlq_offset", str(record.offset).encode()),
            ],
        )
        log.warning(
            "malformed command sent to the DLQ",
            partition=record.partition,
            offset=record.offset,
            reason=reason[:300],
        )

    def stop(self) -> None:
        self._stop.set()


class _LogAssignments(ConsumerRebalanceListener):  # type: ignore[misc]
    """Offsets need no seeking here (the command log answers redeliveries);
    the log says which partitions this process serves."""

    def on_partitions_revoked(self, revoked: Any) -> None:
        log.info("partitions revoked", partitions=sorted(p.partition for p in revoked))

    def on_partitions_assigned(self, assigned: Any) -> None:
        log.info(
            "partitions assigned", partitions=sorted(tp.partition for tp in assigned)
        )


def _reason(exc: ValidationError) -> str:
    errors = [
        f"{'.'.join(str(p) for p in e['loc']) or 'message'}: {e['msg']}"
        for e in exc.errors()
    ]
    return "not a command envelope: " + "; ".join(errors)


def _header(record: Any, name: str) -> str | None:
    for key, value in record.headers or []:
        if key == name and value:
            try:
                return str(value.decode())[:128]
            except UnicodeDecodeError:
                return None
    return None
