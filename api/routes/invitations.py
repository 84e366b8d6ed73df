"""Invitations: invite by email, accept, resend, revoke, list."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Body, Depends, Query

from api.deps import (
    PAGE_LIMIT,
    Call,
    call,
    principal,
    reads,
    tenant_projection_position,
)
from api.policy import listed
from api.schemas import (
    AcceptBody,
    InvitationOut,
    InvitationsOut,
    InviteBody,
    ResendBody,
)
from application.auth import Principal
from application.queries.reads import Reads
from domain.commands import RevokeInvitation

router = APIRouter(prefix="/v1", tags=["invitations"], dependencies=[Depends(listed)])


@router.post(
    "/tenants/{tenant_id}/invitations", status_code=201, response_model=InvitationOut
)
async def invite(tenant_id: UUID, body: InviteBody, run: Call = Depends(call)) -> Any:
    return await run(body.command(tenant_id=tenant_id))


@router.get("/tenants/{tenant_id}/invitations", response_model=InvitationsOut)
def list_invitations(
    tenant_id: UUID,
    status: str | None = Query(
        default=None, pattern="^(pending|accepted|revoked|expired)$"
    ),
    after: UUID | None = None,
    limit: int = Query(default=100, ge=1, le=PAGE_LIMIT),
    position: int = Depends(tenant_projection_position),
    who: Principal = Depends(principal),
    r: Reads = Depends(reads),
) -> InvitationsOut:
    rows = r.projected.invitations(who, tenant_id, status, after, limit)
    next_after = rows[-1]["invitation_id"] if len(rows) == limit else None
    return InvitationsOut(
        tenant_id=tenant_id,
        position=position,
        invitations=[InvitationOut(**row) for row in rows],
        next_after=next_after,
    )


@router.get("/invitations/{invitation_id}", response_model=InvitationOut)
def get_invitation(
    invitation_id: UUID,
    who: Principal = Depends(principal),
    r: Reads = Depends(reads),
) -> InvitationOut:
    found = r.state.invitation(who, invitation_id)
    return InvitationOut.of(found.view, found.position)


@router.post("/invitations/{invitation_id}/accept", response_model=InvitationOut)
async def accept(
    invitation_id: UUID,
    body: AcceptBody = Body(default_factory=AcceptBody),
    run: Call = Depends(call),
) -> Any:
    return await run(body.command(invitation_id=invitation_id))


@router.post("/invitations/{invitation_id}/resend", response_model=InvitationOut)
async def resend(
    invitation_id: UUID,
    body: ResendBody = Body(default_factory=ResendBody),
    run: Call = Depends(call),
) -> Any:
    return await run(body.command(invitation_id=invitation_id))


@router.delete("/invitations/{invitation_id}", response_model=InvitationOut)
async def revoke(invitation_id: UUID, run: Call = Depends(call)) -> Any:
    return await run(RevokeInvitation(invitation_id=invitation_id))
