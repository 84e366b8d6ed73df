"""Webhook endpoints: registered with a fresh signing secret (shown once, in
the answer), changed, paused, rotated, deleted; failed deliveries retried.

Where a URL points (loopback, private networks) needs DNS, so it is checked
before the command is sent (infra/webhook_addresses.py) and again by the
sender at every delivery; here are only the rules on state.
"""

from __future__ import annotations

import base64
import secrets

from application.decision import Decided, decided
from application.session import Session
from domain.commands import (
    CreateWebhookEndpoint,
    DeleteWebhookEndpoint,
    RetryWebhookDelivery,
    RotateWebhookSecret,
    UpdateWebhookEndpoint,
)
from domain.webhook_endpoint import WebhookEndpoint

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    """Standard Webhooks' form: `whsec_` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def endpoint_of(
    s: Session,
    cmd: UpdateWebhookEndpoint
    | DeleteWebhookEndpoint
    | RotateWebhookSecret
    | RetryWebhookDelivery,
) -> WebhookEndpoint:
    endpoint = s.load(WebhookEndpoint, cmd.endpoint_id, "webhook endpoint")
    endpoint.check_exists()
    return endpoint


def create_endpoint(cmd: CreateWebhookEndpoint, s: Session) -> Decided:
    """The secret exists in clear only in this answer and in the event, which
    the store seals before writing it."""
    if cmd.tenant_id is not None:
        s.tenant(cmd.tenant_id).check_open()
    secret = new_secret()
    endpoint = WebhookEndpoint(
        url=cmd.url,
        tenant_id=cmd.tenant_id,
        include_subtenants=cmd.include_subtenants,
        event_types=cmd.event_types,
        description=cmd.description,
        secret=secret,
        created_by=s.who.actor,
    )
    return Decided(endpoint, secret=secret)


def update_endpoint(cmd: UpdateWebhookEndpoint, s: Session) -> Decided:
    """A field left out keeps its value; `event_types: null` means every type."""
    endpoint = endpoint_of(s, cmd)
    given = cmd.model_fields_set
    endpoint.update(
        url=cmd.url if cmd.url is not None else endpoint.url,
        event_types=cmd.event_types if "event_types" in given else endpoint.event_types,
        description=(
            cmd.description if "description" in given else endpoint.description
        ),
    )
    if cmd.status is not None:
        endpoint.set_status(cmd.status)
    return decided(endpoint)


def delete_endpoint(cmd: DeleteWebhookEndpoint, s: Session) -> Decided:
    endpoint = endpoint_of(s, cmd)
    endpoint.delete()
    return decided(endpoint)


def rotate_secret(cmd: RotateWebhookSecret, s: Session) -> Decided:
    endpoint = endpoint_of(s, cmd)
    secret = new_secret()
    endpoint.rotate_secret(secret, s.now)
    return Decided(endpoint, secret=secret)


def retry_delivery(cmd: RetryWebhookDelivery, s: Session) -> Decided:
    endpoint = endpoint_of(s, cmd)
    endpoint.retry(cmd.delivery_id)
    return decided(endpoint)
