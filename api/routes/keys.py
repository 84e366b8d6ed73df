"""API keys: create (the secret is shown once) and revoke (at once)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends

from api.deps import Call, call
from api.policy import listed
from api.schemas import CreateKeyBody, KeyOut
from domain.commands import RevokeApiKey

router = APIRouter(
    prefix="/v1/api-keys", tags=["api keys"], dependencies=[Depends(listed)]
)


@router.post("", status_code=201, response_model=KeyOut)
async def create_key(body: CreateKeyBody, run: Call = Depends(call)) -> Any:
    """The secret is in this answer only (a repeat with the same
    Idempotency-Key answers `secret: null`): it is stored as a digest."""
    return await run(body.command())


@router.delete("/{key_id}", response_model=KeyOut)
async def revoke_key(key_id: UUID, run: Call = Depends(call)) -> Any:
    return await run(RevokeApiKey(key_id=key_id))
