"""Runs a small housekeeping job at start and then every so often, in a
thread of its own (the receipt pruning of `serve`).

Several `serve` processes may run the same job at once: each job here must
be safe to repeat and to race (a delete of what is expired is).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import structlog

log = structlog.get_logger(__name__)


class Periodic:
    def __init__(self, name: str, job: Callable[[], object], interval_s: float) -> None:
        self.name = name
        self.job = job
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run(self) -> None:
        while True:
            try:
                self.job()
            except Exception:
                # The store is down or busy: the next round does this one's
                # work too, nothing is lost by waiting.
                log.exception("housekeeping failed", job=self.name)
            if self._stop.wait(self.interval_s):
                return

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
