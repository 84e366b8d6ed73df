"""The tenants a key may read, searchable and paged (projection)."""

from __future__ import annotations

import asyncio
import base64
import binascii
import dataclasses
import functools
import json
from typing import Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request

from api.auth import Action, Guard, Principal, Role
from api.deps import (
    PAGE_LIMIT,
    MinPosition,
    WaitMs,
    container,
    invalid,
    projection_position,
)
from api.policy import guard
from api.schemas.listing import ListedTenant, TenantsOut
from api.schemas.tenants import TenantOut
from domain.errors import NotFound
from infra.bootstrap import Container
from projections import tenants as tenant_tree
from projections.tenants import Listing, Readable

router = APIRouter(prefix="/v1/tenants", tags=["tenants"])

# What the console offers per tenant; reading is a given for a listed tenant.
OFFERED = (
    Action.MANAGE_TENANT,
    Action.MANAGE_CONTRACT,
    Action.APPROVE_ORDERS,
    Action.MANAGE_KEYS,
    Action.READ_HISTORY,
)
Cursor = tuple[str, str]


ParentId = Query(default=None, description="only this tenant's children")


async def listing_position(
    request: Request,
    parent_id: UUID | None = ParentId,
    min_position: int | None = MinPosition,
    wait_ms: int = WaitMs,
    access: Guard = Depends(guard),
) -> int:
    """Scope first, as for every projection read: a parent out of scope is
    not found before the key learns how far the projection is."""
    if parent_id is not None:
        await asyncio.to_thread(access.check, parent_id)
    return await projection_position(request, min_position, wait_ms, access)


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
    access: Guard = Depends(guard),
    c: Container = Depends(container),
) -> TenantsOut:
    """The tenants the key may read, ordered by name (case-insensitive) then
    id: everything for the operator and unscoped auditors and analysts, the
    key's tenant and its descendants for partners, auditors and analysts,
    the key's own tenant alone for tenant admins and services."""
    after = _decoded(cursor) if cursor else None
    want = Listing(str(parent_id) if parent_id else None, status, q)
    with c.db.read() as tx:
        if parent_id is not None and not tenant_tree.exists(tx, str(parent_id)):
            raise NotFound("tenant not found")
        readable = readable_by(access.who)
        rows = (
            tenant_tree.listed(tx, readable, want, after, limit + 1)
            if readable is not None
            else []
        )
    page, more = rows[:limit], len(rows) > limit
    who = _remembering(access.who)
    return TenantsOut(
        tenants=[_listed(c, who, UUID(row["tenant_id"])) for row in page],
        next_cursor=_encoded((page[-1]["sort_key"], page[-1]["tenant_id"]))
        if more
        else None,
        position=position,
    )


def readable_by(who: Principal) -> Readable | None:
    """API.md "Keys": only operator, partner, auditor and analyst keys see a
    subtree; tenant admins and services see their own tenant and nothing of
    its sub-tenants. None: nothing at all (a tenant role without a tenant)."""
    if who.role is Role.OPERATOR:
        return Readable()
    if who.tenant_id is None:
        return Readable() if who.role in (Role.AUDITOR, Role.ANALYST) else None
    if who.role in (Role.TENANT_ADMIN, Role.SERVICE):
        return Readable(root=str(who.tenant_id), subtree=False)
    return Readable(root=str(who.tenant_id))


def _remembering(who: Principal) -> Principal:
    # Each action's check walks the tenant's ancestors in the store: once a
    # tenant per request is enough.
    return dataclasses.replace(who, lineage=functools.cache(who.lineage))


def _listed(c: Container, who: Principal, tenant_id: UUID) -> ListedTenant:
    tenant = c.ledger.tenant(tenant_id)
    out = TenantOut.of(tenant, c.ledger.position_of(tenant))
    actions = [a.value for a in OFFERED if who.in_scope(a, tenant_id)]
    return ListedTenant(**out.model_dump(), actions=actions)


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
