"""Members of a tenant: add, read, change, remove, list."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from fastapi import APIRouter, Depends, Query

from api.auth import Guard
from api.deps import (
    PAGE_LIMIT,
    command_context,
    container,
    instant_param,
    tenant_projection_position,
)
from api.policy import guard
from api.schemas import AddMemberBody, MemberOut, MembersOut, UpdateMemberBody
from domain.commands import AddMember, RemoveMember, UpdateMember
from domain.errors import NotFound
from domain.member import Member
from infra.bootstrap import Container
from infra.events import CommandContext
from infra.ledger import Outcome
from projections import members as members_view

router = APIRouter(prefix="/v1/tenants/{tenant_id}/members", tags=["members"])


def _out(outcome: Outcome, c: Container) -> MemberOut:
    today = c.ledger.clock().date()
    return MemberOut.of(outcome.aggregate, outcome.position, today)


@router.post("", status_code=201, response_model=MemberOut)
def add_member(
    tenant_id: UUID,
    body: AddMemberBody,
    access: Guard = Depends(guard),
    ctx: CommandContext = Depends(command_context),
    c: Container = Depends(container),
) -> MemberOut:
    access.check(tenant_id)
    cmd = AddMember(tenant_id=tenant_id, **body.model_dump())
    return _out(c.ledger.add_member(ctx, cmd), c)


@router.get("", response_model=MembersOut)
def list_members(
    tenant_id: UUID,
    status: str | None = Query(default=None, pattern="^(active|passive|removed)$"),
    after: UUID | None = None,
    limit: int = Query(default=100, ge=1, le=PAGE_LIMIT),
    position: int = Depends(tenant_projection_position),
    access: Guard = Depends(guard),
    c: Container = Depends(container),
) -> MembersOut:
    access.check(tenant_id)
    c.ledger.tenant(tenant_id)
    today = c.ledger.clock().date()
    after_key = str(after) if after else None
    with c.db.read() as tx:
        rows = members_view.members_of(tx, [str(tenant_id)], status, after_key, limit)
    members = [
        MemberOut(**row, counts_as_active=members_view.judge(row, today)[0])
        for row in rows
    ]
    next_after = rows[-1]["member_id"] if len(rows) == limit else None
    return MembersOut(
        tenant_id=tenant_id, position=position, members=members, next_after=next_after
    )


@router.get("/{member_id}", response_model=MemberOut)
def get_member(
    tenant_id: UUID,
    member_id: UUID,
    at: datetime | None = Depends(instant_param),
    access: Guard = Depends(guard),
    c: Container = Depends(container),
) -> MemberOut:
    access.check(tenant_id)
    if at is None:
        member = c.ledger.member(tenant_id, member_id)
        today = c.ledger.clock().date()
    else:
        member = c.ledger.at(Member, member_id, at, "member")
        if member.tenant_id != tenant_id:
            raise NotFound("member not found")
        today = at.date()
    return MemberOut.of(member, c.ledger.position_of(member), today)


@router.patch("/{member_id}", response_model=MemberOut)
def update_member(
    tenant_id: UUID,
    member_id: UUID,
    body: UpdateMemberBody,
    access: Guard = Depends(guard),
    ctx: CommandContext = Depends(command_context),
    c: Container = Depends(container),
) -> MemberOut:
    access.check(tenant_id)
    fields = body.model_dump(exclude_unset=True)
    cmd = UpdateMember(tenant_id=tenant_id, member_id=member_id, **fields)
    return _out(c.ledger.update_member(ctx, cmd), c)


@router.delete("/{member_id}", response_model=MemberOut)
def remove_member(
    tenant_id: UUID,
    member_id: UUID,
    access: Guard = Depends(guard),
    ctx: CommandContext = Depends(command_context),
    c: Container = Depends(container),
) -> MemberOut:
    access.check(tenant_id)
    cmd = RemoveMember(tenant_id=tenant_id, member_id=member_id)
    return _out(c.ledger.remove_member(ctx, cmd), c)
