"""Writes an audit checkpoint every so often (infra/audit/checkpoints.py).

Runs in every `serve` process; when several race, the store's version check
lets one checkpoint through and the others find nothing left to record.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import structlog

log = structlog.get_logger(__name__)


class Checkpointer:
    def __init__(self, write: Callable[[], object], interval_s: float) -> None:
        self.write = write
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.write()
            except Exception:
                # The store is down or busy: the next round covers this one's
                # events too, nothing is lost by waiting.
                log.exception("audit checkpoint failed")

    def start(self) -> None:
        if self.interval_s <= 0:
            return
        self._thread = threading.Thread(
            target=self.run, name="checkpointer", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
