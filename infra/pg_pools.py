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
- the pool's own reconnect attempts give up after `reconnect_s`, so new
  connections are then made on demand, immediately, not on a stale backoff.
"""

from __future__ import annotations

import contextlib
from typing import Any

import psycopg
import psycopg_pool
import structlog

log = structlog.get_logger(__name__)


def tune(pool: Any, reconnect_s: float) -> None:
    """Applies the reconnect bound to a pool built elsewhere (eventsourcing's)."""
    pool.reconnect_timeout = reconnect_s


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
