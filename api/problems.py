"""Every error becomes an RFC 9457 problem document, here and nowhere else."""

from __future__ import annotations

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
PROBLEM_FIELDS = frozenset({"type", "title", "status", "detail", "code"})

STATUS_BY_CODE = {
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "validation_error": 422,
    "idempotency_key_reused": 422,
    "payload_too_large": 413,
    "unavailable": 503,
}

TITLES = {
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def status_for(code: str) -> int:
    return STATUS_BY_CODE.get(code, 409)


def problem_document(
    status: int,
    code: str,
    detail: str,
    extra: Mapping[str, Any] | None = None,
    **more: Any,
) -> dict[str, Any]:
    """An RFC 9457 problem document. A domain error's extras may name their own
    `status` (the state it found): they never override the document's fields."""
    members = {**(extra or {}), **more}
    members = {k: v for k, v in members.items() if k not in PROBLEM_FIELDS}
    return {
        "type": f"https://seatledger.dev/problems/{code}",
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
        **members,
    }


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


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    errors = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        where = loc[0] if loc else "body"
        field = ".".join(loc[1:]) or where
        errors.append({"field": field, "in": where, "message": err.get("msg", "")})
    return errors


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
        # Extras never override the document's own fields (InvalidState names
        # the state it found as `status`, which is not the HTTP status).
        extra = {k: v for k, v in exc.extra.items() if k not in PROBLEM_FIELDS}
        if exc.code == "validation_error":
            field = str(exc.extra.get("field", "body"))
            extra = {"errors": [{"field": field, "in": "body", "message": exc.detail}]}
        return problem(status_for(exc.code), exc.code, exc.detail, **extra)

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
