"""The store's log in position (commit) order, as stored rows or envelopes:
what the relay publishes, the follower projects, and audit, replay and export
read, a bounded number of rows at a time."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from eventsourcing.persistence import Notification
from eventsourcing.postgres import PostgresDatastore

from infra.events import readable_envelope, to_envelope
from infra.eventstore.persistence import Persistence
from projections.envelope import Envelope


class Log:
    def __init__(self, persistence: Persistence) -> None:
        self.recorder = persistence.recorder
        self.transcoder = persistence.mapper.transcoder
        self.stored_hash = persistence.stored_hash

    def after(self, position: int, limit: int) -> list[Envelope]:
        notifications = self.recorder.select_notifications(position + 1, limit)
        return [to_envelope(n, self.transcoder) for n in notifications]

    def page(self, after: int, limit: int) -> Sequence[Notification]:
        return self.recorder.select_notifications(after + 1, limit)

    def read(
        self, after: int = 0, stop: int | None = None, size: int = 1000
    ) -> Iterator[Sequence[Notification]]:
        """The log in (after, stop], `size` rows at a time: never all of it
        in memory."""
        while stop is None or after < stop:
            found = self.recorder.select_notifications(after + 1, size, stop=stop)
            if not found:
                return
            yield found
            after = found[-1].id

    def envelope(self, notification: Notification) -> Envelope:
        """The envelope, or a placeholder for a row that cannot be decoded."""
        return readable_envelope(notification, self.transcoder)

    def head(self) -> int:
        return self.recorder.max_notification_id() or 0

    def strict_envelope(self, notification: Notification) -> Envelope:
        """The envelope; raises for a row that cannot be decoded."""
        return to_envelope(notification, self.transcoder)

    def count(self, after: int, upto: int) -> int:
        """How many events the log holds in (after, upto]: positions have gaps."""
        recorder: Any = self.recorder
        table, store = recorder.events_table_name, recorder.datastore
        if isinstance(store, PostgresDatastore):
            query = (
                f"SELECT COUNT(*) AS n FROM {store.schema}.{table}"
                " WHERE notification_id > %s AND notification_id <= %s"
            )
        else:
            query = f"SELECT COUNT(*) AS n FROM {table} WHERE rowid > ? AND rowid <= ?"
        with store.transaction(commit=False) as cursor:
            cursor.execute(query, (after, upto))
            row = cursor.fetchone()
        return int(row["n"])
