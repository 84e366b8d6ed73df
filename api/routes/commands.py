"""`POST /v1/commands`: any state-changing operation as a command envelope."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from api.auth import Action, Guard
from api.commands import CommandEnvelope, CommandService
from api.policy import guard
from domain.errors import Forbidden

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
    access: Guard = Depends(guard),
    commands: CommandService = Depends(service),
) -> JSONResponse:
    who = access.who
    if access.action is not Action.PER_COMMAND:
        raise Forbidden("this route has no authorization rule")
    if envelope.actor_key_id is not None and str(envelope.actor_key_id) != who.key_id:
        raise Forbidden("over HTTP a command acts as the calling key")
    answer = commands.handle(who, envelope, request.state.correlation_id)
    return JSONResponse(answer.body, status_code=answer.status)
