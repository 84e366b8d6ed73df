"""API keys: create (the secret is shown once) and revoke (at once)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from fastapi import APIRouter, Depends
from pydantic import BaseModel, model_validator

from api.auth import Guard, Role
from api.deps import command_context, container
from api.policy import guard
from api.schemas import Body
from domain.api_key import ApiKey
from domain.commands import CreateApiKey
from domain.common import Name
from domain.errors import Forbidden
from infra.bootstrap import Container
from infra.events import CommandContext

router = APIRouter(prefix="/v1/api-keys", tags=["api keys"])


class CreateKeyBody(Body):
    name: Name
    role: Role
    tenant_id: UUID | None = None

    @model_validator(mode="after")
    def _scoped(self) -> CreateKeyBody:
        unscoped = {Role.OPERATOR, Role.AUDITOR, Role.ANALYST}
        if self.tenant_id is None and self.role not in unscoped:
            raise ValueError(f"a {self.role.value} key needs a tenant_id")
        return self


class KeyOut(BaseModel):
    key_id: UUID
    name: str
    role: Role
    tenant_id: UUID | None
    revoked: bool
    created_at: datetime
    created_by: str
    secret: str | None = None  # only in the creation response, never stored
    position: int

    @classmethod
    def of(cls, key: ApiKey, position: int, secret: str | None = None) -> KeyOut:
        return cls(
            key_id=key.id,
            name=key.name,
            role=Role(key.role),
            tenant_id=key.tenant_id,
            revoked=key.revoked,
            created_at=key.created_on,
            created_by=key.created_by,
            secret=secret,
            position=position,
        )


def _check_issuer(access: Guard, role: str, tenant_id: UUID | None) -> None:
    access.check(tenant_id)
    if not access.who.may_issue(role, tenant_id):
        raise Forbidden(f"this key may not issue or revoke {role} keys here")


@router.post("", status_code=201, response_model=KeyOut)
def create_key(
    body: CreateKeyBody,
    access: Guard = Depends(guard),
    ctx: CommandContext = Depends(command_context),
    c: Container = Depends(container),
) -> KeyOut:
    _check_issuer(access, body.role, body.tenant_id)
    cmd = CreateApiKey(name=body.name, role=body.role.value, tenant_id=body.tenant_id)
    outcome, secret = c.ledger.create_key(ctx, cmd)
    return KeyOut.of(outcome.aggregate, outcome.position, secret)


@router.delete("/{key_id}", response_model=KeyOut)
def revoke_key(
    key_id: UUID,
    access: Guard = Depends(guard),
    ctx: CommandContext = Depends(command_context),
    c: Container = Depends(container),
) -> KeyOut:
    key = c.ledger.api_key(key_id)
    _check_issuer(access, key.role, key.tenant_id)
    outcome = c.ledger.revoke_key(ctx, key_id)
    return KeyOut.of(outcome.aggregate, outcome.position)
