"""Commands as envelopes, for `POST /v1/commands` and the Kafka command topic.

An envelope names a command by type; its payload is the REST body plus the
path parameters by name. It is validated into the same command model the
REST route builds, run by the same bus with the same rule, and answered with
the REST call's status and body (or problem document). Its `command_id` is
its idempotency key, scoped to the calling key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from application.auth import Principal
from application.bus import CommandBus
from application.catalogue import PUBLIC
from application.context import Context
from application.jobs import Job
from application.present import result_of
from application.problems import problem_document, refusal_document
from domain.commands import Command
from domain.errors import DomainError


class CommandEnvelope(BaseModel):
    model_config = ConfigDict(extra="forbid")

    command_id: UUID
    type: str = Field(min_length=1, max_length=100)
    tenant_id: UUID | None = None
    payload: dict[str, Any] = Field(default_factory=dict)
    # On Kafka: the key the command acts as (its scope is checked as over
    # HTTP). Over HTTP the calling key acts; naming another one is forbidden.
    actor_key_id: UUID | None = None
    # Decide and answer, record nothing ("would this be allowed?").
    dry_run: bool = False


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]


# One command to answer: who sends it, the envelope, its correlation id.
Call = tuple[Principal, "CommandEnvelope", str]


def field_errors(exc: ValidationError, where: str) -> list[dict[str, str]]:
    return [
        {
            "field": ".".join(str(p) for p in err["loc"]) or where,
            "in": where,
            "message": err["msg"],
        }
        for err in exc.errors()
    ]


class Malformed(Exception):
    """An envelope that names no known command, or a payload that does not
    validate: answered 422, never run, never recorded."""

    def __init__(self, detail: str, errors: list[dict[str, str]]) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors


def parse(envelope: CommandEnvelope) -> Command:
    model = PUBLIC.get(envelope.type)
    if model is None:
        detail = f"unknown command type {envelope.type!r}"
        raise Malformed(detail, [{"field": "type", "in": "body", "message": detail}])
    payload = dict(envelope.payload)
    if envelope.tenant_id is not None and "tenant_id" in model.model_fields:
        payload.setdefault("tenant_id", str(envelope.tenant_id))
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        errors = field_errors(exc, "payload")
        raise Malformed("the command payload is malformed; see errors", errors) from exc


class CommandGateway:
    def __init__(self, bus: CommandBus) -> None:
        self.bus = bus

    def answer(
        self, who: Principal, envelope: CommandEnvelope, correlation_id: str
    ) -> Answer:
        """Every outcome is an answer; only store faults raise (a 503 over
        HTTP, a retry on Kafka)."""
        return self.answer_all([(who, envelope, correlation_id)])[0]

    def answer_all(self, calls: list[Call]) -> list[Answer]:
        """The answers, in order, of commands submitted all before waiting for
        any: the bus decides and saves them together (group commit), where
        one after another would cost a transaction each. A store fault
        raises (nothing is answered): a redelivery is answered from the
        receipts of what was recorded meanwhile, never applied twice."""
        started = [self._start(*call) for call in calls]
        answers = [s if isinstance(s, Answer) else self._finish(*s) for s in started]
        self._place_refusals(answers)
        return answers

    def _place_refusals(self, answers: list[Answer]) -> None:
        """A refusal recorded nothing: its `position` is the store's head
        (read once for all of them), as a dry run's is. The answer's shape
        is the same for success and refusal."""
        refused = [a for a in answers if "position" not in a.body]
        if refused:
            head = self.bus.reader.head()
            for answer in refused:
                answer.body["position"] = head

    def _start(
        self, who: Principal, envelope: CommandEnvelope, correlation_id: str
    ) -> Answer | tuple[dict[str, Any], Job]:
        ok: dict[str, Any] = {"command_id": str(envelope.command_id)}
        if envelope.dry_run:
            ok["dry_run"] = True
        try:
            command = parse(envelope)
        except Malformed as bad:
            problem = problem_document(
                422, "validation_error", bad.detail, errors=bad.errors
            )
            return Answer(422, {**ok, "ok": False, "error": problem})
        context = Context(
            correlation_id=correlation_id,
            idempotency_key=str(envelope.command_id),
            causation_id=str(envelope.command_id),
            dry_run=envelope.dry_run,
        )
        return ok, self.bus.submit(who, command, context)

    def _finish(self, ok: dict[str, Any], job: Job) -> Answer:
        try:
            outcome = self.bus.outcome(job)
        except DomainError as refused:
            status, problem = refusal_document(refused, "payload")
            return Answer(status, {**ok, "ok": False, "error": problem})
        result = result_of(outcome)
        body = {
            **ok,
            "ok": True,
            "position": outcome.position,
            "result": (
                result.model_dump(mode="json", by_alias=True)
                if result is not None
                else None
            ),
        }
        return Answer(outcome.status, body)


def unauthorized(envelope: CommandEnvelope) -> Answer:
    detail = "the command's actor key is unknown or revoked"
    problem = problem_document(401, "unauthorized", detail)
    body: dict[str, Any] = {"command_id": str(envelope.command_id)}
    if envelope.dry_run:
        body["dry_run"] = True  # every answer to a dry run says so
    return Answer(401, {**body, "ok": False, "error": problem})
