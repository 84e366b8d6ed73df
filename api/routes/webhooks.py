"""Webhook endpoints: register, list, change, rotate, delete; the delivery
log and a retry. Where a URL points is checked here (it needs DNS) before
the command is sent; the sender checks it again at every delivery."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response

from api.deps import (
    PAGE_LIMIT,
    Call,
    MinPosition,
    WaitMs,
    call,
    container,
    principal,
    projection_position,
    reads,
)
from api.policy import listed
from api.schemas.webhooks import (
    CreateEndpointBody,
    DeliveriesOut,
    DeliveryOut,
    DeliveryStatus,
    EndpointOut,
    EndpointsOut,
    RetryOut,
    UpdateEndpointBody,
)
from application.auth import Principal
from application.queries.reads import Reads
from domain.commands import (
    DeleteWebhookEndpoint,
    RetryWebhookDelivery,
    RotateWebhookSecret,
)
from infra.bootstrap import Container
from infra.webhook_addresses import check_destination

router = APIRouter(
    prefix="/v1/webhook-endpoints", tags=["webhooks"], dependencies=[Depends(listed)]
)
E = "/{endpoint_id}"


async def _checked(url: str | None, c: Container) -> None:
    """The outbound-address rule (a name lookup: off the event loop)."""
    if url is not None:
        await asyncio.to_thread(
            check_destination, url, c.settings.webhooks_allow_private
        )


@router.post("", status_code=201, response_model=EndpointOut)
async def create_endpoint(
    body: CreateEndpointBody,
    run: Call = Depends(call),
    c: Container = Depends(container),
) -> Any:
    """The signing secret is in this answer only (a repeat with the same
    Idempotency-Key answers `secret: null`)."""
    await _checked(body.url, c)  # type: ignore[attr-defined]
    return await run(body.command())


@router.get("", response_model=EndpointsOut)
async def list_endpoints(
    request: Request,
    tenant_id: UUID | None = None,
    # The last endpoint id a page answered: anything else is a 422, not an
    # empty page that looks like the end.
    cursor: UUID | None = None,
    limit: int = Query(default=100, ge=1, le=PAGE_LIMIT),
    min_position: int | None = MinPosition,
    wait_ms: int = WaitMs,
    who: Principal = Depends(principal),
    r: Reads = Depends(reads),
) -> EndpointsOut:
    """The endpoints the key manages (a projection: `min_position` waits for
    a write), never their secrets. Scope first: out of scope learns nothing."""
    tenants = await asyncio.to_thread(r.webhooks.tenants, who, tenant_id)
    position = await projection_position(request, min_position, wait_ms, who)
    after = str(cursor) if cursor is not None else None
    rows = await asyncio.to_thread(r.webhooks.endpoints, who, tenants, after, limit)
    next_cursor = rows[-1]["endpoint_id"] if len(rows) == limit else None
    endpoints = [EndpointOut(**row) for row in rows]
    return EndpointsOut(endpoints=endpoints, next_cursor=next_cursor, position=position)


@router.get(E, response_model=EndpointOut)
def get_endpoint(
    endpoint_id: UUID, who: Principal = Depends(principal), r: Reads = Depends(reads)
) -> EndpointOut:
    found = r.webhooks.endpoint(who, endpoint_id)
    return EndpointOut.of(found.view, found.position)


@router.patch(E, response_model=EndpointOut)
async def update_endpoint(
    endpoint_id: UUID,
    body: UpdateEndpointBody,
    run: Call = Depends(call),
    c: Container = Depends(container),
) -> Any:
    await _checked(body.url, c)  # type: ignore[attr-defined]
    return await run(body.command(endpoint_id=endpoint_id))


@router.delete(E, response_model=EndpointOut)
async def delete_endpoint(endpoint_id: UUID, run: Call = Depends(call)) -> Any:
    return await run(DeleteWebhookEndpoint(endpoint_id=endpoint_id))


@router.post(f"{E}/rotate-secret", response_model=EndpointOut)
async def rotate_secret(endpoint_id: UUID, run: Call = Depends(call)) -> Any:
    """The new secret is in this answer only; for 24 hours every delivery is
    signed with the old and the new one."""
    return await run(RotateWebhookSecret(endpoint_id=endpoint_id))


@router.get(f"{E}/deliveries", response_model=DeliveriesOut)
def list_deliveries(
    endpoint_id: UUID,
    status: DeliveryStatus | None = None,
    cursor: int | None = Query(default=None, ge=0, le=2**62),
    limit: int = Query(default=100, ge=1, le=PAGE_LIMIT),
    who: Principal = Depends(principal),
    r: Reads = Depends(reads),
) -> DeliveriesOut:
    rows = r.webhooks.deliveries(who, endpoint_id, status, cursor, limit)
    next_cursor = str(rows[-1]["position"]) if len(rows) == limit else None
    deliveries = [DeliveryOut(**row) for row in rows]
    return DeliveriesOut(
        endpoint_id=endpoint_id, deliveries=deliveries, next_cursor=next_cursor
    )


@router.post(
    f"{E}/deliveries/{{delivery_id}}/retry", status_code=202, response_model=RetryOut
)
async def retry_delivery(
    endpoint_id: UUID,
    delivery_id: UUID,
    response: Response,
    run: Call = Depends(call),
    r: Reads = Depends(reads),
) -> RetryOut:
    """Sends it again now (whatever its status), once; a failure then
    follows the retry schedule from where the delivery was."""
    await asyncio.to_thread(r.webhooks.check_retry, run.who, endpoint_id, delivery_id)
    command = RetryWebhookDelivery(endpoint_id=endpoint_id, delivery_id=delivery_id)
    done = await run(command)
    response.status_code = 202
    return RetryOut(
        endpoint_id=endpoint_id, delivery_id=delivery_id, position=done.position
    )
