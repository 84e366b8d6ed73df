"""Dependencies shared by the routers; everything comes from the container
built in the app's lifespan."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from uuid import UUID

from fastapi import Depends, Query, Request
from fastapi.exceptions import RequestValidationError

from api.auth import Guard
from api.policy import guard
from domain.errors import DomainError
from infra.bootstrap import Container
from infra.events import CommandContext

MAX_WAIT_MS = 10_000
PAGE_LIMIT = 1000  # list endpoints cap `limit` here


def container(request: Request) -> Container:
    found: Container = request.app.state.container
    return found


def command_context(request: Request) -> CommandContext:
    return CommandContext(
        actor=request.state.principal.actor,
        correlation_id=request.state.correlation_id,
    )


class ProjectionBehind(DomainError):
    code = "projection_behind"


MinPosition = Query(default=None, ge=0, le=2**62)
WaitMs = Query(default=0, ge=0, le=MAX_WAIT_MS)


async def projection_position(
    request: Request,
    min_position: int | None = MinPosition,
    wait_ms: int = WaitMs,
    access: Guard = Depends(guard),
) -> int:
    """Waits (up to wait_ms) until all projections reached min_position.
    Scope first: a key out of scope learns nothing, not even the position."""
    await _checked_path_tenant(request, access)
    return await _wait(container(request), None, min_position, wait_ms)


async def tenant_projection_position(
    request: Request,
    min_position: int | None = MinPosition,
    wait_ms: int = WaitMs,
    access: Guard = Depends(guard),
) -> int:
    """Like projection_position, for reads of one tenant's own rows: with
    Kafka only that tenant's partition has to have caught up."""
    tenant_id = await _checked_path_tenant(request, access)
    return await _wait(
        container(request), str(tenant_id) if tenant_id else None, min_position, wait_ms
    )


async def _checked_path_tenant(request: Request, access: Guard) -> UUID | None:
    """The path's tenant, checked against the key's scope."""
    raw = request.path_params.get("tenant_id")
    try:
        tenant_id = UUID(str(raw)) if raw is not None else None
    except ValueError:
        return None  # a malformed id is the route's 422
    if tenant_id is not None:
        await asyncio.to_thread(access.check, tenant_id)
    return tenant_id


async def _wait(
    c: Container, tenant_id: str | None, min_position: int | None, wait_ms: int
) -> int:
    deadline = time.monotonic() + wait_ms / 1000
    while True:
        position = await asyncio.to_thread(c.projection_position, tenant_id)
        if min_position is None or position >= min_position:
            return position
        if time.monotonic() >= deadline:
            raise ProjectionBehind(
                f"the projection is at {position}, not yet at {min_position}",
                position=position,
                min_position=min_position,
            )
        await asyncio.sleep(0.005)


def invalid(field: str, message: str, value: object) -> RequestValidationError:
    """A 422 naming a query parameter, like the framework's own."""
    loc = ("query", field)
    error = {"type": "value_error", "loc": loc, "msg": message, "input": str(value)}
    return RequestValidationError([error])


def instant_param(
    request: Request,
    at: datetime | None = Query(
        default=None,
        description="an ISO 8601 instant (UTC when no offset is given): the state "
        "as it was then, rebuilt from the events; not in the future",
    ),
) -> datetime | None:
    """`?at=` in UTC, refused when in the future (the past is all the events
    know). In UTC because days are UTC days: at 01:00+02:00 it is still the
    day before, and end dates are judged on that day."""
    if at is None:
        return None
    at = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    try:
        utc = at.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00+14:00: before year 1 in UTC
        raise invalid("at", "the instant is out of range", at.isoformat()) from None
    if utc > container(request).ledger.clock():
        raise invalid("at", "the instant is in the future", at.isoformat())
    return utc
