"""Connection pools that notice a lost server at once and renew together.

psycopg_pool, left to itself, recovers slowly from a restarted server or
killed backends: with a pre-ping check it discards dead connections one per
request, sleeping 1 s, then 2 s, between them until the request's timeout;
without one, each dead connection fails one request; and its background
reconnects back off without a cap (after a 15 s outage the next attempt may
be 16 s away). Here both pools (the event store's and the projections') are
treated alike:
- no pre-ping: a dead connection is detected by the call that uses it;
- that failure purges the whole pool at once (`pool.check()`: every idle
  connection is tested, the dead ones replaced in the background);
- the pool's own reconnect attempts give up after `reconnect_s`; each give-up
  schedules a kick (a `pool.check()`, which also grows an empty pool) within
  `kick_s`, so the pool keeps trying at a steady pace however long the outage,
  and callers already waiting for a connection get one as soon as the server
  is back instead of at the end of their timeout.
"""

from __future__ import annotations

import contextlib
import random
import threading
from typing import Any

import psycopg
import psycopg_pool
import structlog

log = structlog.get_logger(__name__)


def tune(pool: Any, reconnect_s: float, kick_s: float) -> None:
    """Applies the reconnect bound and the kick to a pool, ours or one built
    elsewhere (eventsourcing's, which takes no such arguments: its attributes
    are set before it opens, which is what its constructor would do)."""
    pool.reconnect_timeout = reconnect_s
    pool._reconnect_failed = _Kick(kick_s)


class _Kick:
    """psycopg_pool calls this when its reconnect attempts gave up: try again
    a little later (once per pool at a time), with jitter."""

    def __init__(self, delay_s: float) -> None:
        self.delay_s = delay_s
        self._pending = threading.Lock()

    def __call__(self, pool: Any) -> None:
        if pool.closed or not self._pending.acquire(blocking=False):
            return
        delay = random.uniform(self.delay_s / 2, self.delay_s)
        timer = threading.Timer(delay, self._kick, args=(pool,))
        timer.daemon = True
        timer.start()

    def _kick(self, pool: Any) -> None:
        self._pending.release()
        if not pool.closed:
            purge(pool)


def purge(pool: Any) -> None:
    """Replaces every dead idle connection now, not one per request."""
    # A pool that is closing, or a check that meets a dead server, must not
    # turn the caller's original error into another one.
    with contextlib.suppress(Exception):
        pool.check()


def lost_connection(exc: BaseException) -> bool:
    """A failure of the connection itself, not a timeout waiting for one
    (the pool already waited its whole timeout: retrying would double it)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, psycopg_pool.PoolTimeout):
            return False
        if isinstance(seen, psycopg.OperationalError | psycopg.InterfaceError):
            return True
        seen = seen.__cause__
    return False


def probe(url: str, timeout_s: float = 2.0) -> None:
    """Raises unless the server accepts a new connection and answers."""
    with psycopg.connect(url, connect_timeout=max(1, round(timeout_s))) as conn:
        conn.execute("SELECT 1")
