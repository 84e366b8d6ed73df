"""API key bodies and answers."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

from pydantic import BaseModel, Field

from api.schemas.common import Body, body_of
from application.auth import Role
from application.present import KeyOut
from domain.commands import CreateApiKey

if TYPE_CHECKING:  # mypy sees a body class; at run time it is derived
    CreateKeyBody = Body
else:
    CreateKeyBody = body_of(CreateApiKey, "CreateKeyBody")


class KeyListed(BaseModel):
    """A key as listed: never its secret."""

    key_id: UUID
    name: str
    role: Role
    tenant_id: UUID | None
    created_at: datetime
    revoked_at: datetime | None


class KeysOut(BaseModel):
    keys: list[KeyListed] = Field(
        description="the keys the calling key may revoke, oldest first"
    )
    position: int = Field(description="every event up to here is in this list")


__all__ = ["CreateKeyBody", "KeyListed", "KeyOut", "KeysOut"]
