"""API keys: created with a fresh secret shown once, revoked at once."""

from __future__ import annotations

from uuid import uuid4

from application.decision import Decided
from application.keys import digest, new_secret
from application.session import Session
from domain.api_key import ApiKey
from domain.commands import CreateApiKey, RevokeApiKey


def create_key(cmd: CreateApiKey, s: Session) -> Decided:
    """The secret exists only in this answer: the key keeps its digest."""
    if cmd.tenant_id is not None:
        s.tenant(cmd.tenant_id).check_open()
    key_id = uuid4()
    secret = new_secret(key_id)
    key = ApiKey(
        key_id=key_id,
        name=cmd.name,
        role=cmd.role,
        tenant_id=cmd.tenant_id,
        secret_digest=digest(secret),
        created_by=s.who.actor,
    )
    return Decided(key, secret=secret)


def revoke_key(cmd: RevokeApiKey, s: Session) -> Decided:
    key = s.load(ApiKey, cmd.key_id, "api key")
    key.revoke()
    return Decided(key)
