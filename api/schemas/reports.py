"""Report answers: active users."""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import BaseModel


class ReportMember(BaseModel):
    member_id: UUID
    tenant_id: UUID
    email: str
    role: str
    status: str
    start_date: date | None
    end_date: date | None
    counted: bool
    reason: Literal["active", "future_starter", "passive", "ended"]


class ActiveUsersOut(BaseModel):
    tenant_id: UUID
    as_of: date
    position: int
    include_subtenants: bool
    active_users: int
    future_starters: int
    passive: int
    ended: int
    members: list[ReportMember]
