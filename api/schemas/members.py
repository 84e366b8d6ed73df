"""Member and invitation bodies and answers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

from api.schemas.common import Body
from domain.common import Email, Name, RoleSlug
from domain.invitation import Invitation
from domain.member import Member


class AddMemberBody(Body):
    email: Email
    role: RoleSlug
    display_name: Name | None = None
    start_date: date | None = None
    end_date: date | None = None


class UpdateMemberBody(Body):
    role: RoleSlug | None = None
    status: Literal["active", "passive"] | None = None
    start_date: date | None = None
    end_date: date | None = None


class InviteBody(Body):
    email: Email
    role: RoleSlug
    expires_in_days: int = Field(default=7, ge=1, le=90, strict=True)


class AcceptBody(Body):
    display_name: Name | None = None


class ResendBody(Body):
    expires_in_days: int = Field(default=7, ge=1, le=90, strict=True)


class MemberOut(BaseModel):
    member_id: UUID
    tenant_id: UUID
    email: str
    display_name: str | None
    role: str
    status: str
    start_date: date | None
    end_date: date | None
    counts_as_active: bool
    position: int

    @classmethod
    def of(cls, member: Member, position: int, today: date) -> MemberOut:
        return cls(
            member_id=member.id,
            tenant_id=member.tenant_id,
            email=member.email,
            display_name=member.display_name,
            role=member.role,
            status=member.status,
            start_date=member.start_date,
            end_date=member.end_date,
            counts_as_active=member.counts_on(today),
            position=position,
        )


class MembersOut(BaseModel):
    tenant_id: UUID
    position: int
    members: list[MemberOut]
    next_after: str | None


class InvitationOut(BaseModel):
    invitation_id: UUID
    tenant_id: UUID
    email: str
    role: str
    status: str
    expires_at: datetime
    member_id: UUID | None
    position: int

    @classmethod
    def of(cls, invitation: Invitation, position: int, now: datetime) -> InvitationOut:
        status = invitation.status_at(now)
        return cls(
            invitation_id=invitation.id,
            tenant_id=invitation.tenant_id,
            email=invitation.email,
            role=invitation.role,
            status=status,
            expires_at=datetime.fromisoformat(invitation.expires_at),
            member_id=invitation.member_id,
            position=position,
        )


class InvitationsOut(BaseModel):
    tenant_id: UUID
    position: int
    invitations: list[InvitationOut]
    next_after: str | None
