"""How a long-running process stops, and shows its health without an API.

SIGTERM (what container orchestrators send first) and SIGINT set one event
that every wait and run loop watches: the process stops taking work, finishes
or abandons its batch in flight, and exits 0 within a bounded time.
"""

from __future__ import annotations

import os
import signal
import threading
from types import FrameType
from typing import Any

import structlog
from prometheus_client import start_http_server

log = structlog.get_logger(__name__)


def stop_on_signals() -> threading.Event:
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if not stop.is_set():
            log.info("stopping", signal=signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    return stop


def shutdown_watchdog(grace_s: float) -> None:
    """Bounds the shutdown: a batch still in flight after the grace (a call
    stuck on a dead server) is abandoned. Exit 0 all the same: every loop
    records its position only after its effects, so an abandoned batch left
    nothing recorded and is redone after a restart."""
    timer = threading.Timer(grace_s, _abandon, args=(grace_s,))
    timer.daemon = True
    timer.start()


def _abandon(grace_s: float) -> None:
    log.warning("shutdown grace elapsed; abandoning the batch in flight", s=grace_s)
    os._exit(0)


def serve_metrics(container: Any) -> None:
    """relay, project and consume-commands have no HTTP API: with
    SEATLEDGER_METRICS_PORT set they serve their metrics (dependency state,
    assigned partitions) on that port."""
    port = container.settings.metrics_port
    if port is not None:
        start_http_server(port, registry=container.metrics.registry)
