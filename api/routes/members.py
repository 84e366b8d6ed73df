"""Members of a tenant: add, read, change, remove, list."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query

from api.deps import (
    PAGE_LIMIT,
    Call,
    call,
    instant_param,
    principal,
    reads,
    tenant_projection_position,
)
from api.policy import listed
from api.schemas import AddMemberBody, MemberOut, MembersOut, UpdateMemberBody
from application.auth import Principal
from application.queries.reads import Reads
from domain.commands import RemoveMember

router = APIRouter(
    prefix="/v1/tenants/{tenant_id}/members",
    tags=["members"],
    dependencies=[Depends(listed)],
)


@router.post("", status_code=201, response_model=MemberOut)
async def add_member(
    tenant_id: UUID, body: AddMemberBody, run: Call = Depends(call)
) -> Any:
    return await run(body.command(tenant_id=tenant_id))


@router.get("", response_model=MembersOut)
def list_members(
    tenant_id: UUID,
    status: str | None = Query(default=None, pattern="^(active|passive|removed)$"),
    after: UUID | None = None,
    limit: int = Query(default=100, ge=1, le=PAGE_LIMIT),
    position: int = Depends(tenant_projection_position),
    who: Principal = Depends(principal),
    r: Reads = Depends(reads),
) -> MembersOut:
    rows = r.projected.members(who, tenant_id, status, after, limit)
    next_after = rows[-1]["member_id"] if len(rows) == limit else None
    return MembersOut(
        tenant_id=tenant_id,
        position=position,
        members=[MemberOut(**row) for row in rows],
        next_after=next_after,
    )


@router.get("/{member_id}", response_model=MemberOut)
def get_member(
    tenant_id: UUID,
    member_id: UUID,
    at: datetime | None = Depends(instant_param),
    who: Principal = Depends(principal),
    r: Reads = Depends(reads),
) -> MemberOut:
    found = r.state.member(who, tenant_id, member_id, at)
    return MemberOut.of(found.view, found.position)


@router.patch("/{member_id}", response_model=MemberOut)
async def update_member(
    tenant_id: UUID, member_id: UUID, body: UpdateMemberBody, run: Call = Depends(call)
) -> Any:
    return await run(body.command(tenant_id=tenant_id, member_id=member_id))


@router.delete("/{member_id}", response_model=MemberOut)
async def remove_member(
    tenant_id: UUID, member_id: UUID, run: Call = Depends(call)
) -> Any:
    return await run(RemoveMember(tenant_id=tenant_id, member_id=member_id))
