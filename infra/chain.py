"""The hash that chains every stored event to its aggregate's previous one.

hash(event) = sha256(previous hash, aggregate id, version, topic, canonical
JSON of the stored state without the hash itself). The previous hash is the
one of version - 1 of the same aggregate (64 zeros for version 1), so the
chain is computed at save time without a global lock: the store's version
check already makes one writer win each (aggregate, version).

The hash travels inside the stored state (`_meta.hash`), so the stored row is
all an auditor needs to recompute it.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any
from uuid import UUID

GENESIS = "0" * 64
META = "_meta"
HASH = "hash"


def canonical(state: dict[str, Any]) -> bytes:
    return json.dumps(
        state, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()


def event_hash(
    previous: str, aggregate_id: UUID, version: int, topic: str, state: dict[str, Any]
) -> str:
    """`state` is the stored state (decoded as plain JSON) without the hash."""
    head = f"{previous}\n{aggregate_id}\n{version}\n{topic}\n".encode()
    return hashlib.sha256(head + canonical(state)).hexdigest()


def split_hash(state: dict[str, Any]) -> str | None:
    """Removes and returns the stored hash (None when the event has none)."""
    meta = state.get(META)
    if not isinstance(meta, dict):
        return None
    found = meta.pop(HASH, None)
    return found if isinstance(found, str) else None


class HashChain:
    """The latest committed hash known of each recent aggregate, and the ones
    being saved by this thread. A hash enters the shared cache only after its
    save committed, so a save that lost a race never poisons the chain;
    (aggregate, version) of a committed event never changes, so several
    processes' caches cannot disagree. One entry per aggregate: a save chains
    to its aggregate's head, so reading a whole history (`?at=`) keeps only
    the newest version it saw."""

    def __init__(
        self, lookup: Callable[[UUID, int], str | None], size: int = 100_000
    ) -> None:
        self._lookup = lookup
        self._size = size
        self._committed: OrderedDict[UUID, tuple[int, str]] = OrderedDict()
        self._lock = threading.Lock()
        self._local = threading.local()

    def _pending(self) -> dict[tuple[UUID, int], str]:
        pending: dict[tuple[UUID, int], str] | None = getattr(
            self._local, "pending", None
        )
        if pending is None:
            pending = self._local.pending = {}
        return pending

    def begin(self) -> None:
        self._local.pending = {}

    def previous(self, aggregate_id: UUID, version: int) -> str:
        """The hash of version - 1 of the aggregate."""
        if version <= 1:
            return GENESIS
        key = (aggregate_id, version - 1)
        found = self._pending().get(key)
        if found is None:
            with self._lock:
                head = self._committed.get(aggregate_id)
            if head is not None and head[0] == version - 1:
                found = head[1]
        if found is None:
            found = self._lookup(aggregate_id, version - 1)
            if found is None:
                raise LookupError(
                    f"no stored event {aggregate_id} v{version - 1} to chain to"
                )
            self.seen(aggregate_id, version - 1, found)
        return found

    def saving(self, aggregate_id: UUID, version: int, hash_: str) -> None:
        self._pending()[(aggregate_id, version)] = hash_

    def committed(self) -> None:
        pending = self._pending()
        with self._lock:
            for key, value in pending.items():
                self._remember(key, value)
        pending.clear()

    def seen(self, aggregate_id: UUID, version: int, hash_: str | None) -> None:
        """A hash read from the store (committed by definition)."""
        if hash_ is None:
            return
        with self._lock:
            self._remember((aggregate_id, version), hash_)

    def _remember(self, key: tuple[UUID, int], value: str) -> None:
        aggregate_id, version = key
        known = self._committed.get(aggregate_id)
        if known is None or known[0] <= version:
            self._committed[aggregate_id] = (version, value)
        self._committed.move_to_end(aggregate_id)
        while len(self._committed) > self._size:
            self._committed.popitem(last=False)
