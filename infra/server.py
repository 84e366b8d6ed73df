"""How `seatledger serve` runs uvicorn: limits, timeouts, no banner, and the
checks that refuse to start on a configuration that is not safe."""

from __future__ import annotations

from typing import Any

import uvicorn
from starlette.types import ASGIApp

from infra.http_guard import Limits, guarded_protocol
from infra.settings import Settings

MIN_OPERATOR_KEY = 32
MAX_OPERATOR_KEY = 200  # application/keys.py turns longer presented secrets away


def operator_key_problem(settings: Settings) -> str | None:
    """Why the configured operator key must not be served, or None."""
    key = settings.bootstrap_key
    if key is None:
        return None  # a long random one is generated
    if len(key) < MIN_OPERATOR_KEY:
        return (
            f"SEATLEDGER_BOOTSTRAP_KEY must have at least {MIN_OPERATOR_KEY} "
            f"characters (it has {len(key)}): use e.g. `openssl rand -hex 32`, "
            "or leave it unset to have a random key generated"
        )
    if len(key) > MAX_OPERATOR_KEY:
        return f"SEATLEDGER_BOOTSTRAP_KEY is longer than {MAX_OPERATOR_KEY} characters"
    return None


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's options for the API. uvicorn's own `limit_concurrency`
    answers 503 only after a request's headers have arrived, so the
    connection cap lives in the protocol, with the header and body limits."""
    limits = Limits(
        max_connections=settings.max_connections,
        max_header_bytes=settings.max_header_bytes,
        header_timeout_s=settings.header_timeout_s,
        body_timeout_s=settings.body_timeout_s,
    )
    return {
        "http": guarded_protocol(limits),
        "timeout_keep_alive": settings.keep_alive_timeout_s,
        "ws": "none",  # no WebSocket routes: an upgrade would leave the guard
        "server_header": False,  # no "server: uvicorn" banner
        "log_level": "warning",
        "access_log": False,
    }


def run(app: ASGIApp, host: str, port: int, settings: Settings) -> None:
    uvicorn.run(app, host=host, port=port, **uvicorn_options(settings))
