"""One delivery attempt over HTTP: POST the body, read the status line.

asyncio streams rather than an HTTP client library: the sender must connect
to the address it has just checked (infra/webhook_addresses.py), not resolve
the name again (a DNS answer that changes in between would lead it into a
private network), and needs one deadline for the whole exchange. Neither is
natural in the libraries; both are a few lines here. Only the status counts
(a 2xx within the deadline), so the response body is never read.
"""

from __future__ import annotations

import asyncio
import ssl
from concurrent.futures import Executor
from dataclasses import dataclass
from urllib.parse import urlsplit

from infra.webhook_addresses import Disallowed, port_of, resolve

USER_AGENT = "seatledger-webhooks/1"


@dataclass(frozen=True)
class Answer:
    status: int | None  # None: no HTTP answer at all
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def _request(url: str, headers: dict[str, str], body: bytes) -> bytes:
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    lines = [
        f"POST {target} HTTP/1.1",
        f"host: {parts.netloc}",
        f"user-agent: {USER_AGENT}",
        f"content-length: {len(body)}",
        "connection: close",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _status(line: bytes) -> int:
    parts = line.split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or len(parts[1]) != 3:
        raise ValueError(f"not an HTTP status line: {line[:60]!r}")
    return int(parts[1])


async def _exchange(
    address: str, port: int, host: str, tls: ssl.SSLContext | None, request: bytes
) -> int:
    reader, writer = await asyncio.open_connection(
        address, port, ssl=tls, server_hostname=host if tls else None
    )
    try:
        writer.write(request)
        await writer.drain()
        return _status(await reader.readline())
    finally:
        writer.transport.abort()  # nothing more to say or hear


async def post(
    url: str,
    headers: dict[str, str],
    body: bytes,
    timeout_s: float,
    allow_private: bool,
    tls: ssl.SSLContext,
    lookups: Executor | None = None,
) -> Answer:
    """`lookups`: the threads name lookups block (getaddrinfo cannot be
    cancelled), kept apart from the database's so a receiver whose DNS hangs
    stalls no recording."""
    host, port = port_of(url)
    https = urlsplit(url).scheme == "https"
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(timeout_s):
            addresses = await loop.run_in_executor(
                lookups, resolve, host, port, allow_private
            )
            status = await _exchange(
                addresses[0],
                port,
                host,
                tls if https else None,
                _request(url, headers, body),
            )
    except Disallowed as exc:
        return Answer(None, str(exc))
    except TimeoutError:
        return Answer(None, f"no answer within {timeout_s:g} s")
    except (OSError, ValueError, ssl.SSLError) as exc:
        return Answer(None, f"{type(exc).__name__}: {exc}"[:500])
    return Answer(status, None if 200 <= status < 300 else f"HTTP {status}")
