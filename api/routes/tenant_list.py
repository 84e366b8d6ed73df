"""The tenants a key may read, searchable and paged (projection)."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from typing import Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request

from api.deps import (
    PAGE_LIMIT,
    MinPosition,
    WaitMs,
    invalid,
    principal,
    projection_position,
    reads,
)
from api.policy import listed
from api.schemas.listing import ListedTenant, TenantsOut
from application.auth import Principal
from application.present import TenantOut
from application.queries.listing import Cursor
from application.queries.reads import Reads
from projections.tenants import Listing

router = APIRouter(
    prefix="/v1/tenants", tags=["tenants"], dependencies=[Depends(listed)]
)
ParentId = Query(default=None, description="only this tenant's children")


async def listing_position(
    request: Request,
    parent_id: UUID | None = ParentId,
    min_position: int | None = MinPosition,
    wait_ms: int = WaitMs,
    who: Principal = Depends(principal),
    r: Reads = Depends(reads),
) -> int:
    """Scope first, as for every projection read: a parent out of scope is
    not found before the key learns how far the projection is."""
    if parent_id is not None:
        await asyncio.to_thread(r.listing.check_parent, who, parent_id)
    return await projection_position(request, min_position, wait_ms, who)


@router.get("", response_model=TenantsOut)
def list_tenants(
    parent_id: UUID | None = ParentId,
    q: str | None = Query(
        default=None, min_length=1, max_length=200, description="part of the name"
    ),
    status: Literal["provisioning", "active", "suspended", "closed"] | None = None,
    limit: int = Query(default=100, ge=1, le=PAGE_LIMIT),
    cursor: str | None = Query(default=None, max_length=1000),
    position: int = Depends(listing_position),
    who: Principal = Depends(principal),
    r: Reads = Depends(reads),
) -> TenantsOut:
    """The tenants the key may read, ordered by name (case-insensitive) then
    id: everything for the operator and unscoped auditors and analysts, the
    key's tenant and its descendants for partners, auditors and analysts,
    the key's own tenant alone for tenant admins and services."""
    want = Listing(str(parent_id) if parent_id else None, status, q)
    page = r.listing.page(who, want, _decoded(cursor) if cursor else None, limit)
    tenants = [
        ListedTenant(**TenantOut.of(t.view, t.position).model_dump(), actions=t.actions)
        for t in page.tenants
    ]
    next_cursor = _encoded(page.after) if page.after else None
    return TenantsOut(tenants=tenants, next_cursor=next_cursor, position=position)


def _encoded(after: Cursor) -> str:
    return base64.urlsafe_b64encode(json.dumps(after).encode()).decode()


def _decoded(cursor: str) -> Cursor:
    try:
        after = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, ValueError):
        raise invalid("cursor", "not a cursor this list gave out", cursor) from None
    if not (
        isinstance(after, list)
        and len(after) == 2
        and all(isinstance(part, str) for part in after)
    ):
        raise invalid("cursor", "not a cursor this list gave out", cursor)
    return after[0], after[1]
