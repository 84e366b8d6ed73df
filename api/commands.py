"""The command catalogue: every state-changing operation by name, for
`POST /v1/commands` and the Kafka command topic alike.

A command's payload is its REST body plus its path parameters by name; it is
validated with the same domain command model, authorized with the same rule,
run through the same use case and answered with the REST call's status and
body (or problem document).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from api.auth import Action, Principal, Role, authorize
from api.problems import problem_document, status_for
from api.schemas import (
    InvitationOut,
    MemberOut,
    OrderOut,
    PoolOut,
    TenantOut,
)
from domain import commands as c
from domain.api_key import ApiKey
from domain.errors import DomainError
from domain.invitation import Invitation
from domain.license_order import LicenseOrder
from domain.member import Member
from domain.seat_pool import SeatPool
from domain.tenant import Tenant
from infra.command_log import CommandLog
from infra.events import CommandContext
from infra.ledger import CommandAlreadyApplied, Ledger, Outcome


class CommandEnvelope(BaseModel):
    model_config = ConfigDict(extra="forbid")

    command_id: UUID
    type: str = Field(min_length=1, max_length=100)
    tenant_id: UUID | None = None
    payload: dict[str, Any] = Field(default_factory=dict)
    # On Kafka: the key the command acts as (its scope is checked as over
    # HTTP). Over HTTP the calling key acts; naming another one is forbidden.
    actor_key_id: UUID | None = None


@dataclass(frozen=True)
class Spec:
    model: type[c.Command]
    run: Callable[[Ledger, CommandContext, Any], Outcome]
    action: Action
    creates: bool = False  # 201 when it recorded something, like its REST call


def _tenant_target(ledger: Ledger, cmd: Any) -> UUID | None:
    """The tenant a command acts on, for authorization (404 when unknown)."""
    if isinstance(cmd, c.CreateTenant):
        return cmd.parent_id
    target: UUID
    if hasattr(cmd, "tenant_id"):
        target = cmd.tenant_id
    elif hasattr(cmd, "invitation_id"):
        target = ledger.invitation(cmd.invitation_id).tenant_id
    else:
        target = ledger.order(cmd.order_id).tenant_id
    return target


CATALOGUE: dict[str, Spec] = {
    "CreateTenant": Spec(
        c.CreateTenant, Ledger.create_tenant, Action.CREATE_TENANT, creates=True
    ),
    "UpdateTenant": Spec(c.UpdateTenant, Ledger.update_tenant, Action.MANAGE_TENANT),
    "BookLicense": Spec(
        c.BookLicense,
        lambda ledger, ctx, cmd: ledger.book_license(ctx, cmd.tenant_id, cmd.feature),
        Action.MANAGE_CONTRACT,
        creates=True,
    ),
    "CancelLicense": Spec(
        c.CancelLicense,
        lambda ledger, ctx, cmd: ledger.cancel_license(ctx, cmd.tenant_id, cmd.feature),
        Action.MANAGE_CONTRACT,
    ),
    "HandOverTenant": Spec(
        c.HandOverTenant,
        lambda ledger, ctx, cmd: ledger.hand_over(ctx, cmd.tenant_id),
        Action.MANAGE_CONTRACT,
    ),
    "SuspendTenant": Spec(
        c.SuspendTenant,
        lambda ledger, ctx, cmd: ledger.suspend_tenant(ctx, cmd.tenant_id),
        Action.MANAGE_CONTRACT,
    ),
    "CloseTenant": Spec(
        c.CloseTenant,
        lambda ledger, ctx, cmd: ledger.close_tenant(ctx, cmd.tenant_id),
        Action.MANAGE_CONTRACT,
    ),
    "SetSeatLimit": Spec(c.SetSeatLimit, Ledger.set_seat_limit, Action.MANAGE_CONTRACT),
    "AssignSeat": Spec(
        c.AssignSeat, Ledger.assign_seat, Action.MANAGE_TENANT, creates=True
    ),
    "ReleaseSeat": Spec(c.ReleaseSeat, Ledger.release_seat, Action.MANAGE_TENANT),
    "AddMember": Spec(c.AddMember, Ledger.add_member, Action.MANAGE_TENANT, True),
    "UpdateMember": Spec(c.UpdateMember, Ledger.update_member, Action.MANAGE_TENANT),
    "RemoveMember": Spec(c.RemoveMember, Ledger.remove_member, Action.MANAGE_TENANT),
    "InviteMember": Spec(c.InviteMember, Ledger.invite, Action.MANAGE_TENANT, True),
    "AcceptInvitation": Spec(
        c.AcceptInvitation, Ledger.accept_invitation, Action.ACCEPT_INVITATION
    ),
    "ResendInvitation": Spec(
        c.ResendInvitation, Ledger.resend_invitation, Action.MANAGE_TENANT
    ),
    "RevokeInvitation": Spec(
        c.RevokeInvitation, Ledger.revoke_invitation, Action.MANAGE_TENANT
    ),
    "PlaceLicenseOrder": Spec(
        c.PlaceLicenseOrder, Ledger.place_order, Action.MANAGE_TENANT, True
    ),
    "ApproveLicenseOrder": Spec(
        c.ApproveLicenseOrder, Ledger.approve_order, Action.APPROVE_ORDERS
    ),
    "RejectLicenseOrder": Spec(
        c.RejectLicenseOrder, Ledger.reject_order, Action.APPROVE_ORDERS
    ),
    "CancelLicenseOrder": Spec(
        c.CancelLicenseOrder, Ledger.cancel_order, Action.MANAGE_TENANT
    ),
}


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]


def present(outcome: Outcome, now: datetime) -> dict[str, Any]:
    aggregate = outcome.aggregate
    if isinstance(aggregate, Tenant):
        return TenantOut.of(aggregate, outcome.position).model_dump(mode="json")
    if isinstance(aggregate, SeatPool):
        return PoolOut.of(aggregate, outcome.position, now).model_dump(mode="json")
    if isinstance(aggregate, Member):
        out = MemberOut.of(aggregate, outcome.position, now.date())
        return out.model_dump(mode="json")
    if isinstance(aggregate, Invitation):
        return InvitationOut.of(aggregate, outcome.position, now).model_dump(
            mode="json"
        )
    if isinstance(aggregate, LicenseOrder):
        return OrderOut.of(aggregate, outcome.position).model_dump(mode="json")
    raise TypeError(f"no representation for {type(aggregate).__name__}")


def validation_errors(exc: ValidationError) -> list[dict[str, str]]:
    return [
        {
            "field": ".".join(str(p) for p in err["loc"]) or "payload",
            "in": "payload",
            "message": err["msg"],
        }
        for err in exc.errors()
    ]


def parse(envelope: CommandEnvelope) -> tuple[Spec, c.Command]:
    """The command a valid envelope names; raises ValidationError or KeyError."""
    spec = CATALOGUE[envelope.type]
    payload = dict(envelope.payload)
    if envelope.tenant_id is not None and "tenant_id" in spec.model.model_fields:
        payload.setdefault("tenant_id", str(envelope.tenant_id))
    return spec, spec.model.model_validate(payload)


def _parsed(envelope: CommandEnvelope) -> tuple[Spec, c.Command] | Answer:
    """The command a valid envelope names, or the 422 answer to one that is not."""
    ok = {"command_id": str(envelope.command_id)}
    if envelope.type not in CATALOGUE:
        detail = f"unknown command type {envelope.type!r}"
        return _failed(
            ok,
            422,
            problem_document(
                422,
                "validation_error",
                detail,
                errors=[{"field": "type", "in": "body", "message": detail}],
            ),
        )
    try:
        return parse(envelope)
    except ValidationError as exc:
        body = problem_document(
            422,
            "validation_error",
            "the command payload is malformed; see errors",
            errors=validation_errors(exc),
        )
        return _failed(ok, 422, body)


def _run(
    ledger: Ledger,
    who: Principal,
    envelope: CommandEnvelope,
    spec: Spec,
    cmd: c.Command,
    correlation_id: str,
) -> Answer:
    """Runs one parsed and authorized command; every outcome is an answer,
    never a raise (except store faults, which the caller turns into 503 or a
    retry)."""
    ok = {"command_id": str(envelope.command_id)}
    ctx = CommandContext(
        actor=who.actor,
        correlation_id=correlation_id,
        causation_id=str(envelope.command_id),
        command_id=envelope.command_id,
        command_type=envelope.type,
    )
    try:
        outcome = spec.run(ledger, ctx, cmd)
    except CommandAlreadyApplied as done:
        return Answer(
            200, {**ok, "ok": True, "position": done.position, "result": None}
        )
    except DomainError as exc:
        return _failed(ok, *_problem(exc))
    status = 201 if spec.creates and outcome.changed else 200
    body = {
        **ok,
        "ok": True,
        "position": outcome.position,
        "result": present(outcome, ledger.clock()),
    }
    return Answer(status, body)


def _problem(exc: DomainError) -> tuple[int, dict[str, Any]]:
    status = status_for(exc.code)
    return status, problem_document(status, exc.code, exc.detail, exc.extra)


def _failed(ok: dict[str, Any], status: int, problem: dict[str, Any]) -> Answer:
    return Answer(status, {**ok, "ok": False, "error": problem})


def fingerprint(envelope: CommandEnvelope) -> str:
    canonical = json.dumps(
        {
            "type": envelope.type,
            "tenant_id": str(envelope.tenant_id) if envelope.tenant_id else None,
            "payload": envelope.payload,
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


class CommandService:
    """Commands by id: answered once, then from the record."""

    def __init__(self, ledger: Ledger, log: CommandLog) -> None:
        self.ledger = ledger
        self.log = log

    def principal_for(
        self, envelope: CommandEnvelope, trusted: Principal, lineage: Any
    ) -> Principal | None:
        """The principal a topic command acts as: its named key (None when that
        key is unknown or revoked), or the consumer's own when it names none."""
        if envelope.actor_key_id is None:
            return trusted
        key = self.ledger.find(ApiKey, envelope.actor_key_id)
        if key is None or key.revoked:
            return None
        return Principal(str(key.id), Role(key.role), key.tenant_id, lineage)

    def handle(
        self, who: Principal, envelope: CommandEnvelope, correlation_id: str
    ) -> Answer:
        parsed = _parsed(envelope)  # a malformed one is answered (and recorded)
        if not isinstance(parsed, Answer):
            spec, cmd = parsed
            try:
                authorize(who, spec.action, _tenant_target(self.ledger, cmd))
            except DomainError as exc:
                # Checked before the record: a stored answer is only for a
                # caller who may make the command (idempotency is no way
                # around scope).
                ok = {"command_id": str(envelope.command_id)}
                return _failed(ok, *_problem(exc))
        fp = fingerprint(envelope)
        found = self.log.lookup(envelope.command_id)
        if found is not None:
            stored_fp, status, body = found
            if stored_fp == fp:
                return Answer(status, body)
            detail = "this command_id was used with a different command"
            return _failed(
                {"command_id": str(envelope.command_id)},
                422,
                problem_document(422, "idempotency_key_reused", detail),
            )
        answer = (
            parsed
            if isinstance(parsed, Answer)
            else _run(self.ledger, who, envelope, *parsed, correlation_id)
        )
        self.log.record(envelope.command_id, fp, answer.status, answer.body)
        return answer


def unauthorized(envelope: CommandEnvelope) -> Answer:
    detail = "the command's actor key is unknown or revoked"
    return _failed(
        {"command_id": str(envelope.command_id)},
        401,
        problem_document(401, "unauthorized", detail),
    )
