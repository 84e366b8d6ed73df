"""A real HTTP receiver for webhooks, started by the test on 127.0.0.1.

Each path behaves as the test scripts it: the statuses to answer in turn
(then 200), or hanging until released. Every request is kept (path,
headers, body) for the test to verify as a client would.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def id(self) -> str:
        return self.headers["webhook-id"]

    @property
    def document(self) -> dict[str, Any]:
        return dict(json.loads(self.body))

    def verified(self, secret: str) -> dict[str, Any]:
        """The body, if the signature verifies with `secret` (raises if not)."""
        return dict(Webhook(secret).verify(self.body, self.headers))


class Receiver:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.scripts: dict[str, list[int]] = {}
        self.hanging: dict[str, threading.Event] = {}
        self.delay_s: dict[str, float] = {}
        self.changed = threading.Condition()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{path}"

    def hang(self, path: str) -> threading.Event:
        """Requests to `path` wait until the returned event is set."""
        self.hanging[path] = threading.Event()
        return self.hanging[path]

    def at(self, path: str) -> list[Received]:
        with self.changed:
            return [r for r in self.received if r.path == path]

    def wait(self, test: Callable[[], bool], timeout_s: float = 30) -> None:
        """Until `test()` holds (a generous bound, not a timing claim)."""
        deadline = time.monotonic() + timeout_s
        with self.changed:
            while not test():
                left = deadline - time.monotonic()
                assert left > 0, "the receiver did not get what was expected"
                self.changed.wait(min(left, 0.2))

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                got = Received(
                    self.path, {k.lower(): v for k, v in self.headers.items()}, body
                )
                with receiver.changed:
                    receiver.received.append(got)
                    receiver.changed.notify_all()
                    script = receiver.scripts.get(self.path) or []
                    status = script.pop(0) if script else 200
                hang = receiver.hanging.get(self.path)
                if hang is not None:
                    hang.wait(60)
                time.sleep(receiver.delay_s.get(self.path, 0))
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        return Handler


@contextmanager
def receiving() -> Iterator[Receiver]:
    receiver = Receiver()
    thread = threading.Thread(target=receiver.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        for event in receiver.hanging.values():
            event.set()
        receiver.server.shutdown()
        receiver.server.server_close()
