"""API keys: create (the secret is shown once), revoke (at once), and list
the keys the calling key may revoke (never a secret)."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request

from api.deps import Call, MinPosition, WaitMs, call, principal, projection_position
from api.deps import reads as get_reads
from api.policy import listed
from api.schemas import CreateKeyBody, KeyListed, KeyOut, KeysOut
from application.auth import Principal
from application.queries.reads import Reads
from domain.commands import RevokeApiKey

router = APIRouter(
    prefix="/v1/api-keys", tags=["api keys"], dependencies=[Depends(listed)]
)
TenantId = Query(default=None, description="only this tenant's keys")


@router.post("", status_code=201, response_model=KeyOut)
async def create_key(body: CreateKeyBody, run: Call = Depends(call)) -> Any:
    """The secret is in this answer only (a repeat with the same
    Idempotency-Key answers `secret: null`): it is stored as a digest."""
    return await run(body.command())


@router.delete("/{key_id}", response_model=KeyOut)
async def revoke_key(key_id: UUID, run: Call = Depends(call)) -> Any:
    return await run(RevokeApiKey(key_id=key_id))


async def keys_position(
    request: Request,
    tenant_id: UUID | None = TenantId,
    min_position: int | None = MinPosition,
    wait_ms: int = WaitMs,
    who: Principal = Depends(principal),
    r: Reads = Depends(get_reads),
) -> int:
    """Scope first, as for every projection read: a tenant out of scope is
    not found before the key learns how far the projection is."""
    await asyncio.to_thread(r.keys.check, who, tenant_id)
    return await projection_position(request, min_position, wait_ms, who)


@router.get("", response_model=KeysOut)
def list_keys(
    tenant_id: UUID | None = TenantId,
    position: int = Depends(keys_position),
    who: Principal = Depends(principal),
    r: Reads = Depends(get_reads),
) -> KeysOut:
    """The keys the calling key may revoke, revoked ones included (with
    `revoked_at`), oldest first: every key for the operator; a partner's
    non-operator keys of its tenant and descendants; a tenant admin's
    `tenant_admin` and `service` keys of its own tenant. With `tenant_id`,
    that tenant's only (404 where the key manages no keys). Other roles
    manage no keys: 404. Never a secret."""
    found = r.keys.keys(who, tenant_id)
    return KeysOut(keys=[KeyListed(**row) for row in found], position=position)
