"""Invitations: invite by email, accept, resend, revoke, list."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Body, Depends, Query

from api.auth import Guard
from api.deps import PAGE_LIMIT, command_context, container, tenant_projection_position
from api.policy import guard
from api.schemas import (
    AcceptBody,
    InvitationOut,
    InvitationsOut,
    InviteBody,
    ResendBody,
)
from domain.commands import (
    AcceptInvitation,
    InviteMember,
    ResendInvitation,
    RevokeInvitation,
)
from infra.bootstrap import Container
from infra.events import CommandContext
from infra.ledger import Outcome
from projections import members as members_view

router = APIRouter(prefix="/v1", tags=["invitations"])


def _out(outcome: Outcome, c: Container) -> InvitationOut:
    return InvitationOut.of(outcome.aggregate, outcome.position, c.ledger.clock())


@router.post(
    "/tenants/{tenant_id}/invitations", status_code=201, response_model=InvitationOut
)
def invite(
    tenant_id: UUID,
    body: InviteBody,
    access: Guard = Depends(guard),
    ctx: CommandContext = Depends(command_context),
    c: Container = Depends(container),
) -> InvitationOut:
    access.check(tenant_id)
    cmd = InviteMember(tenant_id=tenant_id, **body.model_dump())
    return _out(c.ledger.invite(ctx, cmd), c)


@router.get("/tenants/{tenant_id}/invitations", response_model=InvitationsOut)
def list_invitations(
    tenant_id: UUID,
    status: str | None = Query(
        default=None, pattern="^(pending|accepted|revoked|expired)$"
    ),
    after: UUID | None = None,
    limit: int = Query(default=100, ge=1, le=PAGE_LIMIT),
    position: int = Depends(tenant_projection_position),
    access: Guard = Depends(guard),
    c: Container = Depends(container),
) -> InvitationsOut:
    access.check(tenant_id)
    c.ledger.tenant(tenant_id)
    after_key = str(after) if after else None
    with c.db.read() as tx:
        rows = members_view.invitations_of(
            tx, str(tenant_id), status, c.ledger.clock(), after_key, limit
        )
    next_after = rows[-1]["invitation_id"] if len(rows) == limit else None
    invitations = [InvitationOut(**row) for row in rows]
    return InvitationsOut(
        tenant_id=tenant_id,
        position=position,
        invitations=invitations,
        next_after=next_after,
    )


@router.get("/invitations/{invitation_id}", response_model=InvitationOut)
def get_invitation(
    invitation_id: UUID,
    access: Guard = Depends(guard),
    c: Container = Depends(container),
) -> InvitationOut:
    invitation = c.ledger.invitation(invitation_id)
    access.check(invitation.tenant_id)
    position = c.ledger.position_of(invitation)
    return InvitationOut.of(invitation, position, c.ledger.clock())


@router.post("/invitations/{invitation_id}/accept", response_model=InvitationOut)
def accept(
    invitation_id: UUID,
    body: AcceptBody = Body(default_factory=AcceptBody),
    access: Guard = Depends(guard),
    ctx: CommandContext = Depends(command_context),
    c: Container = Depends(container),
) -> InvitationOut:
    access.check(c.ledger.invitation(invitation_id).tenant_id)
    cmd = AcceptInvitation(invitation_id=invitation_id, **body.model_dump())
    return _out(c.ledger.accept_invitation(ctx, cmd), c)


@router.post("/invitations/{invitation_id}/resend", response_model=InvitationOut)
def resend(
    invitation_id: UUID,
    body: ResendBody = Body(default_factory=ResendBody),
    access: Guard = Depends(guard),
    ctx: CommandContext = Depends(command_context),
    c: Container = Depends(container),
) -> InvitationOut:
    access.check(c.ledger.invitation(invitation_id).tenant_id)
    cmd = ResendInvitation(invitation_id=invitation_id, **body.model_dump())
    return _out(c.ledger.resend_invitation(ctx, cmd), c)


@router.delete("/invitations/{invitation_id}", response_model=InvitationOut)
def revoke(
    invitation_id: UUID,
    access: Guard = Depends(guard),
    ctx: CommandContext = Depends(command_context),
    c: Container = Depends(container),
) -> InvitationOut:
    access.check(c.ledger.invitation(invitation_id).tenant_id)
    cmd = RevokeInvitation(invitation_id=invitation_id)
    return _out(c.ledger.revoke_invitation(ctx, cmd), c)
