"""What a delivery sends: its event's envelope, encoded once, the same bytes
on every attempt (the signature covers them)."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict

from application.ports import EventLog
from projections.envelope import Envelope

KEPT = 1024  # events kept encoded: one event often goes to many endpoints


def encoded(e: Envelope) -> bytes:
    """`{"type", "timestamp", "data"}`, data being the envelope as `GET
    /v1/events` shows it."""
    document = {"type": e.type, "timestamp": e.occurred_at, "data": e.to_dict()}
    return json.dumps(document, separators=(",", ":")).encode()


class Bodies:
    """Bodies by position: kept when the matcher matched their event (it has
    the envelope at hand), read from the log otherwise (a retry hours later).
    Used from the matcher's thread and the dispatcher's workers."""

    def __init__(self, log: EventLog) -> None:
        self.log = log
        self._kept: OrderedDict[int, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, position: int) -> bytes:
        with self._lock:
            found = self._kept.get(position)
        if found is not None:
            return found
        rows = self.log.page(position - 1, 1)
        if not rows or rows[0].id != position:
            raise LookupError(f"no event at position {position}")
        body = encoded(self.log.envelope(rows[0]))
        self.keep(position, body)
        return body

    def keep(self, position: int, body: bytes) -> None:
        with self._lock:
            self._kept[position] = body
            self._kept.move_to_end(position)
            if len(self._kept) > KEPT:
                self._kept.popitem(last=False)
