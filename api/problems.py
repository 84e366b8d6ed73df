"""Every error becomes an RFC 9457 problem document, here and nowhere else."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from typing import Any

import psycopg
import psycopg_pool
import structlog
from eventsourcing.persistence import PersistenceError
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.headers import FIXED_HEADER_MAP
from application.problems import (
    PROBLEM_FIELDS,
    STATUS_BY_CODE,
    TITLES,
    problem_document,
    refusal_document,
    status_for,
)
from domain.errors import DomainError

log = structlog.get_logger(__name__)

PROBLEM = "application/problem+json"
# The database or event store could not be reached: nothing was recorded, the
# client may retry (503).
UNAVAILABLE: tuple[type[Exception], ...] = (
    PersistenceError,
    psycopg.OperationalError,
    psycopg_pool.PoolTimeout,
    sqlite3.OperationalError,
)


def problem(
    status: int,
    code: str,
    detail: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = problem_document(status, code, detail, extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _correlation(request: Request) -> str:
    return str(getattr(request.state, "correlation_id", ""))


def _json_error(err: Mapping[str, Any], body: Any) -> dict[str, Any]:
    """A body that is not JSON at all: the field is the body; where it broke
    (line, column, character) belongs in the message, not in `field`."""
    loc = err.get("loc", ())
    pos = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else 0
    reason = str((err.get("ctx") or {}).get("error", "invalid JSON"))
    where = f"character {pos}"
    if isinstance(body, str) and pos <= len(body):
        at = json.JSONDecodeError(reason, body, pos)
        where = f"line {at.lineno}, column {at.colno} ({where})"
    message = f"the body is not valid JSON: {reason}: {where}"
    return {"field": "body", "in": "body", "message": message}


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    errors = []
    for err in exc.errors():
        if err.get("type") == "json_invalid":
            errors.append(_json_error(err, exc.body))
            continue
        loc = [str(p) for p in err.get("loc", ())]
        where = loc[0] if loc else "body"
        field = ".".join(loc[1:]) or where
        errors.append({"field": field, "in": where, "message": err.get("msg", "")})
    return errors


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
        status, body = refusal_document(exc)
        return JSONResponse(body, status_code=status, media_type=PROBLEM)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(
        request: Request, exc: RequestValidationError
    ) -> JSONResponse:
        return problem(
            422,
            "validation_error",
            "the request is malformed; see errors",
            errors=_validation_errors(exc),
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:
            # The framework could not parse the body (not UTF-8, not JSON):
            # for the contract that is a malformed body like any other.
            errors = [{"field": "body", "in": "body", "message": str(exc.detail)}]
            return problem(422, "validation_error", str(exc.detail), errors=errors)
        code = {401: "unauthorized", 404: "not_found", 405: "method_not_allowed"}
        return problem(
            exc.status_code,
            code.get(exc.status_code, "http_error"),
            str(exc.detail),
            headers=getattr(exc, "headers", None),
        )

    async def store_down(request: Request, exc: Exception) -> JSONResponse:
        # The store refused or could not be reached: nothing was recorded
        # (eventsourcing saves atomically), so the client may simply retry.
        log.warning("event store unavailable", error=str(exc))
        return problem(
            503,
            "unavailable",
            "the event store is unreachable; try again shortly",
            headers={"Retry-After": "2"},
            correlation_id=_correlation(request),
        )

    for unavailable in UNAVAILABLE:
        app.add_exception_handler(unavailable, store_down)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected fault", path=request.url.path)
        return problem(
            500,
            "internal_error",
            "an unexpected fault occurred; it has been logged",
            headers=FIXED_HEADER_MAP,
            correlation_id=_correlation(request),
        )


__all__ = [
    "PROBLEM",
    "PROBLEM_FIELDS",
    "STATUS_BY_CODE",
    "TITLES",
    "UNAVAILABLE",
    "install",
    "problem",
    "problem_document",
    "status_for",
]
