"""`POST /v1/commands`: any state-changing operation as a command envelope."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from api.deps import principal, the_container
from api.policy import listed
from application.auth import Principal
from application.envelopes import CommandEnvelope, CommandGateway
from domain.errors import Forbidden

router = APIRouter(prefix="/v1", tags=["commands"], dependencies=[Depends(listed)])


async def gateway(request: Request) -> CommandGateway:
    return CommandGateway(the_container(request).bus)


@router.post(
    "/commands",
    response_model=None,
    responses={200: {"description": "`{command_id, ok, position, result|error}`"}},
)
def run_command(
    envelope: CommandEnvelope,
    request: Request,
    who: Principal = Depends(principal),
    commands: CommandGateway = Depends(gateway),
) -> JSONResponse:
    if envelope.actor_key_id is not None and str(envelope.actor_key_id) != who.key_id:
        raise Forbidden("over HTTP a command acts as the calling key")
    answer = commands.answer(who, envelope, request.state.correlation_id)
    return JSONResponse(answer.body, status_code=answer.status)
