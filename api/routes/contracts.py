"""Contracts over time: scheduled changes of a pool, their cancellation, and
seats moved between sibling sub-tenants."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends, Path

from api.deps import Call, call, principal, reads, tenant_projection_position
from api.policy import listed
from api.schemas.contracts import (
    ChangeOut,
    ScheduledChangesOut,
    TransferBody,
    TransferOut,
)
from application.auth import Principal
from application.present import ScheduledOut
from application.queries.reads import Reads
from domain.commands import CancelScheduledChange
from domain.common import POOL_PATTERN

router = APIRouter(prefix="/v1", tags=["seat pools"], dependencies=[Depends(listed)])
T = "/tenants/{tenant_id}/seats/{pool}"
PoolPath = Path(pattern=POOL_PATTERN, description="pool slug, e.g. `members`")


@router.get(f"{T}/scheduled-changes", response_model=ScheduledChangesOut)
def scheduled_changes(
    tenant_id: UUID,
    pool: str = PoolPath,
    position: int = Depends(tenant_projection_position),
    who: Principal = Depends(principal),
    r: Reads = Depends(reads),
) -> ScheduledChangesOut:
    """Every contract change scheduled for the pool (`PUT .../seats/{pool}`
    with `effective_at`), whatever became of it, by instant (projection)."""
    rows = r.contracts.changes(who, tenant_id, pool)
    return ScheduledChangesOut(
        tenant_id=tenant_id,
        pool=pool,
        position=position,
        changes=[ScheduledOut(**row) for row in rows],
    )


@router.delete("/scheduled-changes/{change_id}", response_model=ChangeOut)
async def cancel_scheduled_change(change_id: UUID, run: Call = Depends(call)) -> Any:
    """Cancels a change while it is scheduled (409 `invalid_state` once it
    was applied, failed or cancelled). Who may: as for limits."""
    return await run(CancelScheduledChange(change_id=change_id))


@router.post(f"{T}/transfers", response_model=TransferOut)
async def transfer_seats(
    tenant_id: UUID,
    body: TransferBody,
    pool: str = PoolPath,
    run: Call = Depends(call),
) -> Any:
    """Moves `quantity` contracted seats of this pool to the pool of the same
    name of a sibling sub-tenant (opened when absent), both drawing from the
    parent's pool, in one atomic save; the parent's `available` does not
    change. 422 when the tenants are not siblings or a pool does not draw
    from the parent's; 409 `limit_below_usage` when this pool would fall
    below what it uses. Who may: as for limits (an ancestor's contract
    action)."""
    return await run(body.command(tenant_id=tenant_id, pool=pool))
