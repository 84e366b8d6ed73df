"""Refusals as RFC 9457 problem documents: the body of a REST error, and the
`error` of a command answered over `POST /v1/commands` or Kafka."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domain.errors import DomainError

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


def refusal_document(
    exc: DomainError, where: str = "body"
) -> tuple[int, dict[str, Any]]:
    """The status and problem document of a refusal. A validation error names
    its field in an `errors` list, like a malformed request does."""
    status = status_for(exc.code)
    extra = {k: v for k, v in exc.extra.items() if k not in PROBLEM_FIELDS}
    if exc.code == "validation_error":
        field = str(exc.extra.get("field", where))
        extra = {"errors": [{"field": field, "in": where, "message": exc.detail}]}
    return status, problem_document(status, exc.code, exc.detail, extra)
