"""What routes depend on: the calling key, the bus, the reads, the command's
context and projection waits. Everything comes from the container built in
the app's lifespan.

Dependencies that do no I/O are `async def`: FastAPI runs a plain `def`
dependency on a worker thread, a hop per dependency per request."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from fastapi import Depends, Query, Request, Response
from fastapi.exceptions import RequestValidationError

from application.auth import Principal
from application.context import Context
from application.present import result_of
from application.queries.reads import Reads
from domain.commands import Command
from domain.errors import DomainError
from infra.bootstrap import Container

MAX_WAIT_MS = 10_000
PAGE_LIMIT = 1000  # list endpoints cap `limit` here
MAX_IDEMPOTENCY_KEY = 255


def the_container(request: Request) -> Container:
    found: Container = request.app.state.container
    return found


async def container(request: Request) -> Container:
    return the_container(request)


async def principal(request: Request) -> Principal:
    found: Principal = request.state.principal
    return found


async def reads(request: Request) -> Reads:
    return the_container(request).reads


def now(request: Request) -> datetime:
    return the_container(request).clock()


async def clock(request: Request) -> datetime:
    return now(request)


def invalid(
    field: str, message: str, value: object, where: str = "query"
) -> RequestValidationError:
    """A 422 naming a parameter, like the framework's own."""
    loc = (where, field)
    error = {"type": "value_error", "loc": loc, "msg": message, "input": str(value)}
    return RequestValidationError([error])


async def context(request: Request) -> Context:
    """The command's context: correlation id, and the Idempotency-Key that
    names its receipt (scoped to the calling key by the bus)."""
    key = request.headers.get("idempotency-key")
    if key is not None and len(key) > MAX_IDEMPOTENCY_KEY:
        raise invalid(
            "Idempotency-Key",
            f"at most {MAX_IDEMPOTENCY_KEY} characters",
            key[:20],
            "header",
        )
    return Context(correlation_id=request.state.correlation_id, idempotency_key=key)


@dataclass(frozen=True)
class Call:
    """Runs a command for the calling key and shapes the HTTP answer: 200
    instead of a route's 201 when nothing was recorded, and the
    `Idempotent-Replayed` header on an answer given from a receipt."""

    request: Request
    response: Response
    who: Principal
    ctx: Context

    async def __call__(self, command: Command) -> Any:
        """The command's result as its REST call answers it."""
        bus = the_container(self.request).bus
        outcome = await bus.handle_async(self.who, command, self.ctx)
        self.response.status_code = outcome.status
        if outcome.replayed:
            self.response.headers["idempotent-replayed"] = "true"
        return result_of(outcome)


async def call(
    request: Request,
    response: Response,
    who: Principal = Depends(principal),
    ctx: Context = Depends(context),
) -> Call:
    return Call(request, response, who, ctx)


class ProjectionBehind(DomainError):
    code = "projection_behind"


MinPosition = Query(default=None, ge=0, le=2**62)
WaitMs = Query(default=0, ge=0, le=MAX_WAIT_MS)


def _path_tenant(request: Request) -> UUID | None:
    raw = request.path_params.get("tenant_id")
    try:
        return UUID(str(raw)) if raw is not None else None
    except ValueError:
        return None  # a malformed id is the route's 422


async def projection_position(
    request: Request,
    min_position: int | None = MinPosition,
    wait_ms: int = WaitMs,
    who: Principal = Depends(principal),
) -> int:
    """Waits (up to wait_ms) until all projections reached min_position.
    Scope first: a key out of scope learns nothing, not even the position."""
    return await _wait(request, who, None, min_position, wait_ms)


async def tenant_projection_position(
    request: Request,
    min_position: int | None = MinPosition,
    wait_ms: int = WaitMs,
    who: Principal = Depends(principal),
) -> int:
    """Like projection_position, for reads of one tenant's own rows: with
    Kafka only that tenant's partition has to have caught up."""
    return await _wait(request, who, _path_tenant(request), min_position, wait_ms)


async def _wait(
    request: Request,
    who: Principal,
    tenant_id: UUID | None,
    min_position: int | None,
    wait_ms: int,
) -> int:
    projected = the_container(request).reads.projected
    checked = _path_tenant(request)
    if checked is not None:
        await asyncio.to_thread(projected.check, who, checked)
    deadline = time.monotonic() + wait_ms / 1000
    while True:
        position = await asyncio.to_thread(projected.position, tenant_id)
        if min_position is None or position >= min_position:
            return position
        if time.monotonic() >= deadline:
            raise ProjectionBehind(
                f"the projection is at {position}, not yet at {min_position}",
                position=position,
                min_position=min_position,
            )
        await asyncio.sleep(0.005)


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
    if utc > now(request):
        raise invalid("at", "the instant is in the future", at.isoformat())
    return utc


async def dashboard_position(
    request: Request,
    at: datetime | None = Depends(instant_param),
    min_position: int | None = MinPosition,
    wait_ms: int = WaitMs,
    who: Principal = Depends(principal),
) -> int | None:
    """The projection's position for the live dashboard; None with `at`, which
    reads the store, so it waits for no projection."""
    if at is not None:
        return None
    return await tenant_projection_position(request, min_position, wait_ms, who)


Clock = Callable[[], datetime]
