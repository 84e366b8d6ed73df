"""Answers of the tenant list and the seat pool forecast."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from pydantic import BaseModel, Field

from application.present import TenantOut


class ListedTenant(TenantOut):
    actions: list[str] = Field(
        description="what the calling key may do to this tenant, beyond reading "
        "it: `manage_tenant` (rename, members, invitations, assignments, "
        "orders), `manage_contract` (limits, licenses, lifecycle), "
        "`approve_orders` (approve or reject its license orders), "
        "`manage_keys`, `read_history`"
    )


class TenantsOut(BaseModel):
    tenants: list[ListedTenant]
    next_cursor: str | None = Field(
        description="pass as `cursor` for the next page; null at the end"
    )
    position: int = Field(description="how far the projection had applied")


class ForecastOut(BaseModel):
    tenant_id: UUID
    pool: str
    basis_days: int
    trend_per_day: float = Field(
        description="seats a day, the slope of the least-squares line through "
        "the daily peaks of used + reserved + allocated"
    )
    warning_on: date | None = Field(
        description="the first day the line reaches the warning threshold "
        "(today when already reached); null when flat, falling or beyond 3 years"
    )
    full_on: date | None = Field(
        description="the first day the line reaches the limit, likewise"
    )
    position: int = Field(
        description="the latest position among the tenant's and the pool's "
        "events: every event of theirs up to it is in the forecast"
    )
