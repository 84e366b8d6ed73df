"""Request plumbing that must run before routing: correlation id, the 401
check and the body size cap (pure ASGI, so the body is read once and handed
on unchanged). Idempotency is not here: an Idempotency-Key names the
command's receipt, which the command bus saves with its events."""

from __future__ import annotations

import re
import time
import uuid

import structlog
from anyio import to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import UNAVAILABLE, problem
from application.auth import Principal
from application.keys import Authenticator
from infra.metrics import Metrics

MAX_BODY = 1024 * 1024
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
_TENANT_IN_PATH = re.compile(r"^/v1/tenants/([0-9a-fA-F-]{36})")
log = structlog.get_logger(__name__)


class RequestMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        auth: Authenticator,
        metrics: Metrics,
    ) -> None:
        self.app = app
        self.auth = auth
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {
            k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]
        }
        correlation_id = _correlation_id(headers.get("x-correlation-id"))
        scope.setdefault("state", {})["correlation_id"] = correlation_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(correlation_id=correlation_id)
        tenant = _TENANT_IN_PATH.match(scope["path"])
        if tenant:
            structlog.contextvars.bind_contextvars(tenant_id=tenant.group(1))
        send = _with_header(send, b"x-correlation-id", correlation_id.encode())
        send = self._measured(scope, send)
        if scope["path"].startswith("/v1"):
            try:
                principal = await self._principal(headers.get("authorization"))
            except UNAVAILABLE:
                await _unavailable(scope, receive, send)
                return
            if principal is None:
                await problem(
                    401,
                    "unauthorized",
                    "a valid Authorization: Bearer key is needed",
                    headers={"WWW-Authenticate": "Bearer"},
                )(scope, receive, send)
                return
            scope["state"]["principal"] = principal
        body, too_large = await _read_body(receive, headers)
        if too_large:
            await problem(
                413,
                "payload_too_large",
                f"request bodies are capped at {MAX_BODY} bytes",
            )(scope, receive, send)
            return
        if body and scope["method"] in WRITES:
            _assume_json(scope, headers)
        await self.app(scope, _replaying(body, receive), send)

    async def _principal(self, authorization: str | None) -> Principal | None:
        if self.auth.needs_store(authorization):  # a query: off the event loop
            return await to_thread.run_sync(self.auth.authenticate, authorization)
        return self.auth.authenticate(authorization)

    def _measured(self, scope: Scope, send: Send) -> Send:
        started = time.perf_counter()

        async def measured(message: Message) -> None:
            if message["type"] == "http.response.start":
                route = getattr(scope.get("route"), "path", "unmatched")
                method = scope["method"]
                self.metrics.requests.labels(method, route, message["status"]).inc()
                self.metrics.latency.labels(method, route).observe(
                    time.perf_counter() - started
                )
            await send(message)

        return measured


async def _unavailable(scope: Scope, receive: Receive, send: Send) -> None:
    await problem(
        503,
        "unavailable",
        "the database is unreachable; try again shortly",
        headers={"Retry-After": "2"},
    )(scope, receive, send)


def _assume_json(scope: Scope, headers: dict[str, str]) -> None:
    """The API speaks only JSON: a body sent without a JSON content type (curl
    -d sends form encoding) is read as JSON rather than refused as a non-object."""
    content_type = headers.get("content-type", "")
    if "json" not in content_type:
        scope["headers"] = [
            (k, v) for k, v in scope["headers"] if k.lower() != b"content-type"
        ] + [(b"content-type", b"application/json")]


def _correlation_id(given: str | None) -> str:
    # ASCII only: a header arrives as latin-1, and anything else would be
    # echoed back (and logged) as different bytes than were sent.
    if given and 0 < len(given) <= 128 and given.isascii() and given.isprintable():
        return given
    return str(uuid.uuid4())


def _with_header(send: Send, name: bytes, value: bytes) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            message.setdefault("headers", [])
            message["headers"] = [*message["headers"], (name, value)]
        await send(message)

    return wrapped


async def _read_body(receive: Receive, headers: dict[str, str]) -> tuple[bytes, bool]:
    declared = headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > MAX_BODY:
        return b"", True
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            return b"", True
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks), False


def _replaying(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # only a disconnect can come after the body

    return replay
