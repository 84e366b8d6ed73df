"""The OpenAPI document says what the service really answers: every error is
an `application/problem+json` problem document, not FastAPI's default."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, ConfigDict

from api.docs import declare_bearer
from api.problems import PROBLEM

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
COMMAND_ANSWER_REF = {"$ref": "#/components/schemas/CommandAnswer"}
ERRORS = {
    "401": "No or unknown key (`unauthorized`)",
    "403": "Key out of scope or role may not do this (`forbidden`)",
    "404": "Unknown resource, or a read out of the key's scope (`not_found`)",
    "409": "A state conflict or capacity rule (`quota_exhausted`, ...)",
    "413": "Request body over 1 MiB",
    "422": "Malformed request (`validation_error`, `idempotency_key_reused`)",
    "503": "Event store unreachable (`unavailable`), with Retry-After",
}


class FieldError(BaseModel):
    field: str
    message: str
    model_config = ConfigDict(extra="allow")


class Problem(BaseModel):
    """RFC 9457 problem document; extra members explain the rule."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: list[FieldError] | None = None
    model_config = ConfigDict(extra="allow")


class CommandAnswer(BaseModel):
    """What POST /v1/commands answers, with the status the REST call would
    have had: a result, or the REST call's problem document as `error`."""

    command_id: str
    ok: bool
    position: int | None = None
    result: dict[str, Any] | None = None
    error: Problem | None = None


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["Problem"] = Problem.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        components.update(components["Problem"].pop("$defs", {}))
        components["CommandAnswer"] = CommandAnswer.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        components.update(components["CommandAnswer"].pop("$defs", {}))
        for path, operations in schema.get("paths", {}).items():
            for operation in operations.values():
                _document_errors(path, operation)
        for unused in ("HTTPValidationError", "ValidationError"):
            components.pop(unused, None)
        declare_bearer(schema)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _document_errors(path: str, operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    for status, description in ERRORS.items():
        if not path.startswith("/v1") and status != "503":
            continue
        responses[status] = {
            "description": description,
            "content": {PROBLEM: {"schema": PROBLEM_REF}},
        }
    if path == "/v1/commands":
        # A command's own outcome comes as a command answer, whatever its status.
        answer = {"application/json": {"schema": COMMAND_ANSWER_REF}}
        for status in ("200", "201", "401", "403", "404", "409", "422", "503"):
            entry = responses.setdefault(status, {"description": "command answer"})
            entry.setdefault("content", {}).update(answer)
