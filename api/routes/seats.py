"""Seat pools: contracted limits, assignments, holders, the usage dashboard."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query

from api.deps import (
    PAGE_LIMIT,
    Call,
    call,
    dashboard_position,
    instant_param,
    principal,
    reads,
    tenant_projection_position,
)
from api.policy import listed
from api.schemas import AssignmentBody, HoldersOut, PoolOut, SeatLimitBody, UsageOut
from api.schemas.contracts import ChangeOut
from application.auth import Principal
from application.queries.reads import Reads
from domain.commands import ReleaseSeat
from domain.common import HOLDER_PATTERN, POOL_PATTERN

router = APIRouter(
    prefix="/v1/tenants/{tenant_id}",
    tags=["seat pools"],
    dependencies=[Depends(listed)],
)

PoolPath = Path(pattern=POOL_PATTERN, description="pool slug, e.g. `members`")


@router.put(
    "/seats/{pool}",
    response_model=PoolOut | ChangeOut,
    responses={
        200: {"model": PoolOut, "description": "the limit is set: the pool"},
        202: {
            "model": ChangeOut,
            "description": "with `effective_at`: the change, scheduled",
        },
    },
)
async def set_limit(
    tenant_id: UUID,
    body: SeatLimitBody,
    pool: str = PoolPath,
    run: Call = Depends(call),
) -> Any:
    """Sets the contracted limit now (200, the pool). With `effective_at`, an
    instant in the future, the change is recorded now and applied when that
    instant has come, with the rules of an immediate change then (202, the
    change; if they refuse it, it becomes `failed` with the reason)."""
    return await run(body.command(tenant_id=tenant_id, pool=pool))


@router.get("/seats/{pool}", response_model=PoolOut)
def get_pool(
    tenant_id: UUID,
    at: datetime | None = Depends(instant_param),
    pool: str = PoolPath,
    who: Principal = Depends(principal),
    r: Reads = Depends(reads),
) -> PoolOut:
    found = r.state.pool(who, tenant_id, pool, at)
    return PoolOut.of(found.view, found.position)


@router.post("/seats/{pool}/assignments", status_code=201, response_model=PoolOut)
async def assign(
    tenant_id: UUID,
    body: AssignmentBody,
    pool: str = PoolPath,
    run: Call = Depends(call),
) -> Any:
    return await run(body.command(tenant_id=tenant_id, pool=pool))


@router.delete("/seats/{pool}/assignments/{holder_id}", response_model=PoolOut)
async def release(
    tenant_id: UUID,
    pool: str = PoolPath,
    holder_id: str = Path(pattern=HOLDER_PATTERN),
    run: Call = Depends(call),
) -> Any:
    return await run(ReleaseSeat(tenant_id=tenant_id, pool=pool, holder_id=holder_id))


@router.get("/seats/{pool}/assignments", response_model=HoldersOut)
def holders(
    tenant_id: UUID,
    pool: str = PoolPath,
    after: str | None = Query(default=None, pattern=HOLDER_PATTERN),
    limit: int = Query(default=100, ge=1, le=PAGE_LIMIT),
    position: int = Depends(tenant_projection_position),
    who: Principal = Depends(principal),
    r: Reads = Depends(reads),
) -> HoldersOut:
    rows = r.projected.holders(who, tenant_id, pool, after, limit)
    next_after = rows[-1]["holder_id"] if len(rows) == limit else None
    return HoldersOut(
        tenant_id=tenant_id,
        pool=pool,
        position=position,
        holders=rows,
        next_after=next_after,
    )


@router.get("/usage", response_model=UsageOut)
def usage_dashboard(
    tenant_id: UUID,
    at: datetime | None = Depends(instant_param),
    position: int | None = Depends(dashboard_position),
    who: Principal = Depends(principal),
    r: Reads = Depends(reads),
) -> UsageOut:
    """Every contracted pool of the tenant (projection). With `at`, as the
    dashboard showed it then, rebuilt from the events (an instant in the
    future is 422); its `position` is then the latest position among the
    tenant and its pools at `at`, and `min_position` is not needed."""
    if at is not None:
        then, found = r.state.dashboard_at(who, tenant_id, at)
        pools = [PoolOut.of(f.view, f.position) for f in found]
        return UsageOut(tenant_id=tenant_id, position=then, pools=pools)
    assert position is not None  # dashboard_position gives one without `at`
    rows = r.projected.usage(who, tenant_id)
    return UsageOut(
        tenant_id=tenant_id,
        position=position,
        pools=[PoolOut.from_counts(**p) for p in rows],
    )
