"""PostgreSQL persistence that gives up quickly when the store is down.

eventsourcing retries every store call 10 times on a connection error, each
attempt waiting up to the pool's connect timeout: with the store down, a
command answered 503 only after about a minute, longer than most clients
wait, and calls queued behind each other. Here the same calls are retried
once (a dropped connection is replaced on the second attempt; pre-ping
already weeds out stale ones), so a write with the store down is a 503 after
about two connect timeouts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresFactory,
)
from eventsourcing.utils import retry

ATTEMPTS = 2
WAIT_S = 0.2


def _fewer(method: Callable[..., Any]) -> Any:
    """The library's method with its own retry replaced by ours."""
    unwrapped = method.__wrapped__  # type: ignore[attr-defined]
    return retry((InterfaceError, OperationalError), ATTEMPTS, WAIT_S)(unwrapped)


class FailFastAggregateRecorder(PostgresAggregateRecorder):
    """The snapshot store's recorder."""

    insert_events = _fewer(PostgresAggregateRecorder.insert_events)
    select_events = _fewer(PostgresAggregateRecorder.select_events)


class FailFastApplicationRecorder(PostgresApplicationRecorder):
    insert_events = _fewer(PostgresApplicationRecorder.insert_events)
    select_events = _fewer(PostgresAggregateRecorder.select_events)
    select_notifications = _fewer(PostgresApplicationRecorder.select_notifications)
    max_notification_id = _fewer(PostgresApplicationRecorder.max_notification_id)


class FailFastPostgresFactory(PostgresFactory):
    aggregate_recorder_class = FailFastAggregateRecorder
    application_recorder_class = FailFastApplicationRecorder
