"""Headers every response carries (pure ASGI, so streamed and early answers
get them too)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from infra.http_headers import FIXED_HEADERS

_NAMES = {name for name, _ in FIXED_HEADERS}


class FixedHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = with_fixed_headers(message.get("headers", []))
            await send(message)

        await self.app(scope, receive, with_headers)


def with_fixed_headers(
    headers: list[tuple[bytes, bytes]],
) -> list[tuple[bytes, bytes]]:
    """The headers with ours in place of any the application set itself."""
    kept = [(k, v) for k, v in headers if k.lower() not in _NAMES]
    return [*kept, *FIXED_HEADERS]


# For responses built outside the middleware (the unexpected-fault handler runs
# in Starlette's outermost layer, around every middleware).
FIXED_HEADER_MAP = {name.decode(): value.decode() for name, value in FIXED_HEADERS}
