"""Invitations: invite by email, accept, resend, revoke, list."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Body, Depends, Query

from api.auth import Action, Principal, authorize, principal
from api.deps import PAGE_LIMIT, command_context, container, tenant_projection_position
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


def _authorize_on_invitation(
    c: Container, who: Principal, invitation_id: UUID, action: Action
) -> None:
    """Authorizes against the invitation's tenant (404 when it is unknown)."""
    authorize(who, action, c.ledger.invitation(invitation_id).tenant_id)


@router.post(
    "/tenants/{tenant_id}/invitations", status_code=201, response_model=InvitationOut
)
def invite(
    tenant_id: UUID,
    body: InviteBody,
    who: Principal = Depends(principal),
    ctx: CommandContext = Depends(command_context),
    c: Container = Depends(container),
) -> InvitationOut:
    authorize(who, Action.MANAGE_TENANT, tenant_id)
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
    who: Principal = Depends(principal),
    c: Container = Depends(container),
) -> InvitationsOut:
    authorize(who, Action.READ_PROJECTIONS, tenant_id)
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
    who: Principal = Depends(principal),
    c: Container = Depends(container),
) -> InvitationOut:
    invitation = c.ledger.invitation(invitation_id)
    authorize(who, Action.READ_STATE, invitation.tenant_id)
    position = c.ledger.position_of(invitation)
    return InvitationOut.of(invitation, position, c.ledger.clock())


@router.post("/invitations/{invitation_id}/accept", response_model=InvitationOut)
def accept(
    invitation_id: UUID,
    body: AcceptBody = Body(default_factory=AcceptBody),
    who: Principal = Depends(principal),
    ctx: CommandContext = Depends(command_context),
    c: Container = Depends(container),
) -> InvitationOut:
    _authorize_on_invitation(c, who, invitation_id, Action.ACCEPT_INVITATION)
    cmd = AcceptInvitation(invitation_id=invitation_id, **body.model_dump())
    return _out(c.ledger.accept_invitation(ctx, cmd), c)


@router.post("/invitations/{invitation_id}/resend", response_model=InvitationOut)
def resend(
    invitation_id: UUID,
    body: ResendBody = Body(default_factory=ResendBody),
    who: Principal = Depends(principal),
    ctx: CommandContext = Depends(command_context),
    c: Container = Depends(container),
) -> InvitationOut:
    _authorize_on_invitation(c, who, invitation_id, Action.MANAGE_TENANT)
    cmd = ResendInvitation(invitation_id=invitation_id, **body.model_dump())
    return _out(c.ledger.resend_invitation(ctx, cmd), c)


@router.delete("/invitations/{invitation_id}", response_model=InvitationOut)
def revoke(
    invitation_id: UUID,
    who: Principal = Depends(principal),
    ctx: CommandContext = Depends(command_context),
    c: Container = Depends(container),
) -> InvitationOut:
    _authorize_on_invitation(c, who, invitation_id, Action.MANAGE_TENANT)
    cmd = RevokeInvitation(invitation_id=invitation_id)
    return _out(c.ledger.revoke_invitation(ctx, cmd), c)
