"""`POST /v1/commands`: any state-changing operation as a command envelope."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from api.auth import Principal, principal
from api.commands import CommandEnvelope, CommandService

router = APIRouter(prefix="/v1", tags=["commands"])


def service(request: Request) -> CommandService:
    found: CommandService = request.app.state.commands
    return found


@router.post(
    "/commands",
    response_model=None,
    responses={200: {"description": "`{command_id, ok, position, result|error}`"}},
)
def run_command(
    envelope: CommandEnvelope,
    request: Request,
    who: Principal = Depends(principal),
    commands: CommandService = Depends(service),
) -> JSONResponse:
    answer = commands.handle(who, envelope, request.state.correlation_id)
    body: dict[str, Any] = answer.body
    return JSONResponse(body, status_code=answer.status)
