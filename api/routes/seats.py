"""Seat pools: contracted limits, assignments, the usage dashboard."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query

from api.auth import Guard
from api.deps import (
    PAGE_LIMIT,
    command_context,
    container,
    instant_param,
    tenant_projection_position,
)
from api.policy import guard
from api.schemas import AssignmentBody, HoldersOut, PoolOut, SeatLimitBody, UsageOut
from api.usage_reads import dashboard_at, dashboard_position
from domain.commands import AssignSeat, ReleaseSeat, SetSeatLimit
from domain.common import HOLDER_PATTERN, POOL_PATTERN
from domain.errors import NotFound
from domain.seat_pool import SeatPool, pool_id
from domain.tenant import Tenant
from infra.bootstrap import Container
from infra.events import CommandContext
from infra.ledger import Outcome
from projections import tenants as tenant_tree
from projections import usage

router = APIRouter(prefix="/v1/tenants/{tenant_id}", tags=["seat pools"])

PoolPath = Path(pattern=POOL_PATTERN, description="pool slug, e.g. `members`")


def _out(outcome: Outcome, c: Container) -> PoolOut:
    return PoolOut.of(outcome.aggregate, outcome.position, c.ledger.clock())


@router.put("/seats/{pool}", response_model=PoolOut)
def set_limit(
    tenant_id: UUID,
    body: SeatLimitBody,
    pool: str = PoolPath,
    access: Guard = Depends(guard),
    ctx: CommandContext = Depends(command_context),
    c: Container = Depends(container),
) -> PoolOut:
    access.check(tenant_id)
    cmd = SetSeatLimit(tenant_id=tenant_id, pool=pool, **body.model_dump())
    return _out(c.ledger.set_seat_limit(ctx, cmd), c)


@router.get("/seats/{pool}", response_model=PoolOut)
def get_pool(
    tenant_id: UUID,
    at: datetime | None = Depends(instant_param),
    pool: str = PoolPath,
    access: Guard = Depends(guard),
    c: Container = Depends(container),
) -> PoolOut:
    access.check(tenant_id)
    if at is None:
        found = c.ledger.pool(tenant_id, pool)
        return PoolOut.of(found, c.ledger.position_of(found), c.ledger.clock())
    c.ledger.at(Tenant, tenant_id, at, "tenant")
    found = c.ledger.at(SeatPool, pool_id(tenant_id, pool), at, f"seat pool {pool!r}")
    if not found.contracted:
        raise NotFound(f"seat pool {pool!r} not found at {at.isoformat()}")
    return PoolOut.of(found, c.ledger.position_of(found), at)


@router.post("/seats/{pool}/assignments", status_code=201, response_model=PoolOut)
def assign(
    tenant_id: UUID,
    body: AssignmentBody,
    pool: str = PoolPath,
    access: Guard = Depends(guard),
    ctx: CommandContext = Depends(command_context),
    c: Container = Depends(container),
) -> PoolOut:
    access.check(tenant_id)
    cmd = AssignSeat(tenant_id=tenant_id, pool=pool, holder_id=body.holder_id)
    return _out(c.ledger.assign_seat(ctx, cmd), c)


@router.delete("/seats/{pool}/assignments/{holder_id}", response_model=PoolOut)
def release(
    tenant_id: UUID,
    pool: str = PoolPath,
    holder_id: str = Path(pattern=HOLDER_PATTERN),
    access: Guard = Depends(guard),
    ctx: CommandContext = Depends(command_context),
    c: Container = Depends(container),
) -> PoolOut:
    access.check(tenant_id)
    cmd = ReleaseSeat(tenant_id=tenant_id, pool=pool, holder_id=holder_id)
    return _out(c.ledger.release_seat(ctx, cmd), c)


@router.get("/seats/{pool}/assignments", response_model=HoldersOut)
def holders(
    tenant_id: UUID,
    pool: str = PoolPath,
    after: str | None = Query(default=None, pattern=HOLDER_PATTERN),
    limit: int = Query(default=100, ge=1, le=PAGE_LIMIT),
    position: int = Depends(tenant_projection_position),
    access: Guard = Depends(guard),
    c: Container = Depends(container),
) -> HoldersOut:
    access.check(tenant_id)
    with c.db.read() as tx:
        if not any(
            p["pool"] == pool
            for p in usage.pools_of(tx, str(tenant_id), c.ledger.clock())
        ):
            raise NotFound(f"seat pool {pool!r} not found")
        rows = usage.holders_of(tx, str(tenant_id), pool, after, limit)
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
    access: Guard = Depends(guard),
    c: Container = Depends(container),
) -> UsageOut:
    """Every contracted pool of the tenant (projection). With `at`, as the
    dashboard showed it then, rebuilt from the events (an instant in the
    future is 422); its `position` is then the latest position among the
    tenant and its pools at `at`, and `min_position` is not needed."""
    access.check(tenant_id)
    if at is not None:
        return dashboard_at(c, tenant_id, at)
    assert position is not None  # dashboard_position gives one when `at` is absent
    with c.db.read() as tx:
        pools = usage.pools_of(tx, str(tenant_id), c.ledger.clock())
        if not pools and not tenant_tree.exists(tx, str(tenant_id)):
            raise NotFound("tenant not found")
    return UsageOut(
        tenant_id=tenant_id,
        position=position,
        pools=[PoolOut.from_counts(**p) for p in pools],
    )
