"""WebhookEndpoint: where the service sends signed notifications of events.

The signing secret travels in the events that set it (created, rotated)
because the sender needs it to sign; the event store seals it before storing
(infra/sealing.py), so exports, `/v1/events` and Kafka carry only its
ciphertext. The aggregate itself never keeps it: nothing it decides needs it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidState, NotFound

ENABLED, DISABLED = "enabled", "disabled"
# How long deliveries stay signed with the previous secret after a rotation.
ROTATION_OVERLAP = timedelta(hours=24)


class WebhookEndpoint(Aggregate):
    @event("WebhookEndpointCreated")
    def __init__(
        self,
        url: str,
        tenant_id: UUID | None,
        include_subtenants: bool,
        event_types: list[str] | None,
        description: str | None,
        secret: str,
        created_by: str,
    ) -> None:
        self.url = url
        self.tenant_id = tenant_id
        self.include_subtenants = include_subtenants
        self.event_types = event_types  # None: every event type
        self.description = description
        self.created_by = created_by
        self.status = ENABLED
        self.deleted = False
        self.rotated_at: datetime | None = None

    def check_exists(self) -> None:
        if self.deleted:
            raise NotFound("webhook endpoint not found")

    def update(
        self, url: str, event_types: list[str] | None, description: str | None
    ) -> None:
        self.check_exists()
        if (url, event_types, description) != (
            self.url,
            self.event_types,
            self.description,
        ):
            self._update(url, event_types, description)

    @event("WebhookEndpointUpdated")
    def _update(
        self, url: str, event_types: list[str] | None, description: str | None
    ) -> None:
        self.url = url
        self.event_types = event_types
        self.description = description

    def set_status(self, status: str) -> None:
        """Disabling pauses deliveries (nothing is matched for it meanwhile);
        setting the status it has records nothing."""
        self.check_exists()
        if status == self.status:
            return
        if status == DISABLED:
            self._disable()
        else:
            self._enable()

    @event("WebhookEndpointDisabled")
    def _disable(self) -> None:
        self.status = DISABLED

    @event("WebhookEndpointEnabled")
    def _enable(self) -> None:
        self.status = ENABLED

    def rotate_secret(self, secret: str, now: datetime) -> None:
        self.check_exists()
        self._rotate(secret, now + ROTATION_OVERLAP)

    @event("WebhookSecretRotated")
    def _rotate(self, secret: str, previous_valid_until: datetime) -> None:
        self.rotated_at = previous_valid_until - ROTATION_OVERLAP

    def delete(self) -> None:
        self.check_exists()
        self._delete()

    @event("WebhookEndpointDeleted")
    def _delete(self) -> None:
        self.deleted = True

    def retry(self, delivery_id: UUID) -> None:
        """Asks the sender to attempt a delivery again now (it knows the
        deliveries; the endpoint only records who asked, and when)."""
        self.check_exists()
        if self.status != ENABLED:
            raise InvalidState("the endpoint is disabled", status=self.status)
        self._retry(delivery_id)

    @event("WebhookDeliveryRetryRequested")
    def _retry(self, delivery_id: UUID) -> None:
        pass
