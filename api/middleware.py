"""Request plumbing that must run before routing: correlation id, the 401
check, the body size cap and Idempotency-Key replay (pure ASGI, so the body is
read once and handed on unchanged)."""

from __future__ import annotations

import hashlib
import json
import re
import time
import uuid

import structlog
from anyio import to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import Authenticator
from api.problems import UNAVAILABLE, problem
from infra.idempotency import IdempotencyStore, KeyInFlight, KeyReused, StoredResponse
from infra.metrics import Metrics

MAX_BODY = 1024 * 1024
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
_TENANT_IN_PATH = re.compile(r"^/v1/tenants/([0-9a-fA-F-]{36})")
log = structlog.get_logger(__name__)


def fingerprint(method: str, path: str, body: bytes) -> str:
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"))
    except (ValueError, RecursionError):
        canonical = body.decode("latin-1")
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


class RequestMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        auth: Authenticator,
        idempotency: IdempotencyStore,
        metrics: Metrics,
    ) -> None:
        self.app = app
        self.auth = auth
        self.idempotency = idempotency
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
                principal = await to_thread.run_sync(
                    self.auth.authenticate, headers.get("authorization")
                )
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
        replay = _replaying(body, receive)
        idem_key = headers.get("idempotency-key")
        if idem_key and scope["method"] in WRITES and "principal" in scope["state"]:
            await self._idempotent(scope, replay, send, idem_key, body)
            return
        await self.app(scope, replay, send)

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

    async def _idempotent(
        self, scope: Scope, receive: Receive, send: Send, key: str, body: bytes
    ) -> None:
        if len(key) > 255:
            await problem(
                422,
                "validation_error",
                "Idempotency-Key is too long",
                errors=[
                    {
                        "field": "Idempotency-Key",
                        "in": "header",
                        "message": "at most 255 characters",
                    }
                ],
            )(scope, receive, send)
            return
        principal = scope["state"]["principal"]
        idem_scope = principal.key_id
        fp = fingerprint(scope["method"], scope["path"], body)
        try:
            stored = await to_thread.run_sync(
                self.idempotency.claim, idem_scope, key, fp
            )
        except KeyReused:
            await problem(
                422,
                "idempotency_key_reused",
                "this Idempotency-Key was used with a different request",
            )(scope, receive, send)
            return
        except KeyInFlight:
            await problem(
                409,
                "concurrency_conflict",
                "a request with this Idempotency-Key is still running; retry",
                headers={"Retry-After": "1"},
            )(scope, receive, send)
            return
        except UNAVAILABLE:
            await _unavailable(scope, receive, send)
            return
        if stored is not None:
            await _send_stored(send, stored)
            return
        # The response is held back until it is stored: a repeat sent the
        # moment the client has it must find it, not a claim "still running".
        messages: list[Message] = []

        async def hold(message: Message) -> None:
            messages.append(message)

        try:
            await self.app(scope, receive, hold)
        finally:
            status, content_type, content = _response_of(messages)
            try:
                if status < 500 and status != 401:
                    response = StoredResponse(
                        status, _without_secret(content), content_type
                    )
                    await to_thread.run_sync(
                        self.idempotency.complete, idem_scope, key, response
                    )
                else:
                    # Nothing to replay: a fault or an unavailable store
                    # recorded nothing, so a retry must run the call again.
                    await to_thread.run_sync(self.idempotency.release, idem_scope, key)
            except UNAVAILABLE:
                # The call's effects stand; its key stays claimed and is taken
                # over once stale, so a retry then runs into the effects'
                # own checks (already_assigned, ...) rather than a duplicate.
                log.warning("idempotency record not written", key=key)
        for message in messages:
            await send(message)


def _response_of(messages: list[Message]) -> tuple[int, str, bytes]:
    status, content_type, content = 500, "", b""
    for message in messages:
        if message["type"] == "http.response.start":
            status = message["status"]
            for k, v in message.get("headers", []):
                if k.lower() == b"content-type":
                    content_type = v.decode("latin-1")
        elif message["type"] == "http.response.body":
            content += message.get("body", b"")
    return status, content_type, content


async def _unavailable(scope: Scope, receive: Receive, send: Send) -> None:
    await problem(
        503,
        "unavailable",
        "the database is unreachable; try again shortly",
        headers={"Retry-After": "2"},
    )(scope, receive, send)


def _without_secret(body: bytes) -> bytes:
    """Secrets are shown once and never stored: a replayed key creation
    answers with `secret: null`."""
    try:
        data = json.loads(body)
    except ValueError:
        return body
    if isinstance(data, dict) and data.get("secret") is not None:
        data["secret"] = None
        return json.dumps(data).encode()
    return body


def _assume_json(scope: Scope, headers: dict[str, str]) -> None:
    """The API speaks only JSON: a body sent without a JSON content type (curl
    -d sends form encoding) is read as JSON rather than refused as a non-object."""
    content_type = headers.get("content-type", "")
    if "json" not in content_type:
        scope["headers"] = [
            (k, v) for k, v in scope["headers"] if k.lower() != b"content-type"
        ] + [(b"content-type", b"application/json")]


def _correlation_id(given: str | None) -> str:
    if given and 0 < len(given) <= 128 and given.isprintable():
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
    if declared.isdigit() and int(declared) > MAX_BODY:
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


async def _send_stored(send: Send, stored: StoredResponse) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": stored.status,
            "headers": [
                (b"content-type", stored.content_type.encode("latin-1")),
                (b"content-length", str(len(stored.body)).encode()),
                (b"idempotent-replayed", b"true"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": stored.body})
