"""PostgreSQL persistence that gives up quickly when the store is down and
renews its connections at once when the store is back.

eventsourcing retries every store call 10 times on a connection error, each
attempt waiting up to the pool's connect timeout: with the store down, a
command answered 503 only after about a minute. Here a call that fails on its
connection purges the pool (see infra/pg_pools.py) and is retried once, at
once, on a fresh connection; a call that timed out waiting for a connection
is not retried (it already waited the whole timeout), so a write with the
store down is a 503 after about one connect timeout.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresFactory,
)

from infra import pg_pools

# Our own keys in the environment eventsourcing's factory reads (see Settings).
RECONNECT_KEY = "SEATLEDGER_PG_RECONNECT_S"
KICK_KEY = "SEATLEDGER_RETRY_MAX_S"


def _renewing(method: Callable[..., Any]) -> Any:
    """The library's method with its own retry replaced by ours."""
    unwrapped = method.__wrapped__  # type: ignore[attr-defined]

    @functools.wraps(unwrapped)
    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return unwrapped(self, *args, **kwargs)
        except (InterfaceError, OperationalError) as exc:
            if not pg_pools.lost_connection(exc):
                raise
            # Its connection died (server restarted, backend terminated): the
            # others in the pool most likely did too. A retried insert is as
            # safe as the library's own retry: a commit that did land makes
            # the second attempt fail on the aggregate's version.
            pg_pools.purge(self.datastore.pool)
            return unwrapped(self, *args, **kwargs)

    return call


class FailFastAggregateRecorder(PostgresAggregateRecorder):
    """The snapshot store's recorder."""

    insert_events = _renewing(PostgresAggregateRecorder.insert_events)
    select_events = _renewing(PostgresAggregateRecorder.select_events)


class FailFastApplicationRecorder(PostgresApplicationRecorder):
    insert_events = _renewing(PostgresApplicationRecorder.insert_events)
    select_events = _renewing(PostgresAggregateRecorder.select_events)
    select_notifications = _renewing(PostgresApplicationRecorder.select_notifications)
    max_notification_id = _renewing(PostgresApplicationRecorder.max_notification_id)


class FailFastPostgresFactory(PostgresFactory):
    aggregate_recorder_class = FailFastAggregateRecorder
    application_recorder_class = FailFastApplicationRecorder

    def __init__(self, env: Mapping[str, str] | Any) -> None:
        super().__init__(env)
        reconnect = float(self.env.get(RECONNECT_KEY) or 1.0)
        kick = float(self.env.get(KICK_KEY) or 1.0)
        pg_pools.tune(self.datastore.pool, reconnect, kick)
