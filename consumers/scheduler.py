"""Applies scheduled contract changes soon after their instant.

Runs in every `serve` process: every SEATLEDGER_SCHEDULER_INTERVAL_S it asks
the contract-changes projection for pools with a change whose instant has
come and sends each an internal command (ApplyDueChanges) through the bus,
which applies what is due when it loads the pool. The projection only says
where to look: correctness never depends on it (any command on a pool
applies its due changes first), and a change missed now, or while the
service was down, is applied on the next round, marked with both instants.
Several processes racing over one pool are harmless: the first applies the
change, the others find nothing due.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import structlog

from domain.errors import DomainError

log = structlog.get_logger(__name__)

Due = Callable[[], Sequence[tuple[str, str]]]  # (tenant id, pool) to visit
Apply = Callable[[str, str], object]


class Scheduler:
    def __init__(self, due: Due, apply: Apply, interval_s: float) -> None:
        self.due = due
        self.apply = apply
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:
        """Visits every pool with a due change; returns how many."""
        visited = 0
        for tenant_id, pool in self.due():
            if self._stop.is_set():
                break
            try:
                self.apply(tenant_id, pool)
                visited += 1
            except DomainError as refused:
                # The tenant or pool is gone from the store (a projection
                # ahead of nothing, or a hand-made row): nothing to apply.
                log.warning(
                    "scheduled change not applied",
                    pool=pool,
                    tenant_id=tenant_id,
                    code=refused.code,
                )
        return visited

    def run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.run_once()
            except Exception:
                # The store or the projections are down: the changes stay
                # scheduled and the next round applies them.
                log.exception("scheduler round failed")

    def start(self) -> None:
        if self.interval_s <= 0:
            return
        self._thread = threading.Thread(target=self.run, name="scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
