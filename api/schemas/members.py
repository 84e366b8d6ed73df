"""Member and invitation bodies and answers."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from pydantic import BaseModel

from api.schemas.common import Body, body_of
from application.present import InvitationOut, MemberOut
from domain.commands import (
    AcceptInvitation,
    AddMember,
    InviteMember,
    ResendInvitation,
    UpdateMember,
)

if TYPE_CHECKING:  # mypy sees a body class; at run time it is derived
    AddMemberBody = Body
    UpdateMemberBody = Body
    InviteBody = Body
    AcceptBody = Body
    ResendBody = Body
else:
    AddMemberBody = body_of(AddMember, "AddMemberBody", path=("tenant_id",))
    UpdateMemberBody = body_of(
        UpdateMember, "UpdateMemberBody", path=("tenant_id", "member_id")
    )
    InviteBody = body_of(InviteMember, "InviteBody", path=("tenant_id",))
    AcceptBody = body_of(AcceptInvitation, "AcceptBody", path=("invitation_id",))
    ResendBody = body_of(ResendInvitation, "ResendBody", path=("invitation_id",))


class MembersOut(BaseModel):
    tenant_id: UUID
    position: int
    members: list[MemberOut]
    next_after: str | None


class InvitationsOut(BaseModel):
    tenant_id: UUID
    position: int
    invitations: list[InvitationOut]
    next_after: str | None
