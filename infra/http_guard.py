"""uvicorn's HTTP/1.1 protocol (httptools) with the limits it lacks.

uvicorn 0.5x arms no timer while a request's headers or body are arriving:
its keep-alive timer runs only between a finished response and the next
request's first byte, so a client that opens a socket and sends nothing, half
a header block or half a body holds the connection for as long as it likes.
httptools caps no header size either (it accumulates a header value until it
ends), and `limit_concurrency` answers 503 only once a request's headers are
complete, so never-finished requests are not capped by it. This subclass adds:

- a connection cap checked when a connection is accepted;
- a deadline for a request's header block (from the connection's opening,
  or from the first byte of a later request), answered 408;
- a header size cap (request line and header fields), answered 431;
- a deadline for the request body, from the end of its headers; a client
  still sending then is cut off (the application sees a disconnect).

The refusals are written with `connection: close`, then our side is
half-closed and whatever the client still sends is discarded for a moment,
so the client reads the answer instead of a connection reset.
"""

from __future__ import annotations

import asyncio
import http
from dataclasses import dataclass
from typing import Any, ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from infra.http_headers import FIXED_HEADERS

LINGER_S = 1.0  # how long a refused client may go on sending before we close


@dataclass(frozen=True)
class Limits:
    max_connections: int = 500
    max_header_bytes: int = 16 * 1024
    header_timeout_s: float = 10
    body_timeout_s: float = 30


class HeadersTooLarge(Exception):
    """Raised in a parser callback: httptools stops parsing and uvicorn answers
    through send_400_response, which turns it into a 431."""


class GuardedHttpProtocol(HttpToolsProtocol):
    limits: ClassVar[Limits] = Limits()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._reading_headers = True  # a new connection owes a request
        self._reading_body = False
        self._raw_header_bytes = 0  # bytes fed while a header block is open
        self._header_bytes = 0  # request line and fields the parser reported
        self._deadline: asyncio.TimerHandle | None = None
        self._refused = False

    # -- connection ---------------------------------------------------------
    def connection_made(  # type: ignore[override]
        self, transport: asyncio.Transport
    ) -> None:
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_connections:
            self.connections.discard(self)  # a refused socket holds no slot
            self._refuse(503, "too many connections; try again shortly")
            return
        self._arm(self.limits.header_timeout_s)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return  # discarded: the answer has been written
        if not self._reading_body:
            self._raw_header_bytes += len(data)
        super().data_received(data)
        # Memory guard for a header block that has not ended yet (httptools
        # would keep accumulating it); at most one read beyond the cap.
        if self._open_header_block_too_large() and not self.transport.is_closing():
            self._refuse(431, "request headers too large")

    def send_400_response(self, msg: str) -> None:
        if self._header_bytes > self.limits.max_header_bytes:
            self._refuse(431, "request headers too large")
        else:
            super().send_400_response(msg)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # A pipelined request whose body waited for its turn starts now.
        if self._reading_body and self._deadline is None:
            self._arm(self.limits.body_timeout_s)

    # -- parser callbacks ---------------------------------------------------
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._reading_headers, self._header_bytes = True, 0
        if self._deadline is None:  # else: the connection's first deadline
            self._arm(self.limits.header_timeout_s)

    def on_url(self, url: bytes) -> None:
        self._count_header_bytes(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count_header_bytes(len(name) + len(value))
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._reading_headers, self._reading_body = False, True
        self._raw_header_bytes = 0
        self._disarm()
        super().on_headers_complete()
        if not self.pipeline:  # a queued request is not read until its turn
            self._arm(self.limits.body_timeout_s)

    def on_message_complete(self) -> None:
        self._reading_body = False
        self._disarm()
        super().on_message_complete()

    # -- limits -------------------------------------------------------------
    def _count_header_bytes(self, size: int) -> None:
        self._header_bytes += size
        if self._header_bytes > self.limits.max_header_bytes:
            raise HeadersTooLarge

    def _open_header_block_too_large(self) -> bool:
        return (
            self._reading_headers
            and self._raw_header_bytes > self.limits.max_header_bytes
        )

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self) -> None:
        self._deadline = None
        if self._reading_body or self.transport.is_closing():
            # The application is waiting for this body: closing is the one
            # way to end it (it receives http.disconnect).
            self.transport.close()
        else:
            self._refuse(408, "the request did not arrive in time")

    def _refuse(self, status: int, reason: str) -> None:
        """Answers `status` unless a response is under way, then closes."""
        if self._refused:
            return  # answered already (a callback and a size check both saw it)
        self._refused = True
        self._disarm()
        if self.cycle is not None and not self.cycle.response_complete:
            self.transport.close()  # another answer is being written
            return
        self.transport.write(_plain_response(status, reason))
        if self.transport.can_write_eof():
            self.transport.write_eof()
            self.loop.call_later(LINGER_S, self.transport.close)
        else:
            self.transport.close()


def _plain_response(status: int, reason: str) -> bytes:
    body = reason.encode()
    lines = [
        f"HTTP/1.1 {status} {http.HTTPStatus(status).phrase}",
        "content-type: text/plain; charset=utf-8",
        f"content-length: {len(body)}",
        "connection: close",
        *(f"{name.decode()}: {value.decode()}" for name, value in FIXED_HEADERS),
    ]
    if status == 503:
        lines.append("retry-after: 1")
    return "\r\n".join(lines).encode() + b"\r\n\r\n" + body


def guarded_protocol(limits: Limits) -> type[GuardedHttpProtocol]:
    """The protocol class for uvicorn's `http=` option, with these limits
    (uvicorn builds protocols itself, so the limits travel on the class)."""
    return type("GuardedHttpProtocol", (GuardedHttpProtocol,), {"limits": limits})
