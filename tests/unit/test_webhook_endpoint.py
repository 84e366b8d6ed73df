"""The WebhookEndpoint aggregate, the signature, and sealing of secrets."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import pytest
from standardwebhooks import Webhook

from application.handlers.webhooks import new_secret
from consumers.webhooks.signing import headers
from domain.errors import InvalidState, NotFound
from domain.webhook_endpoint import WebhookEndpoint
from infra.sealing import Sealer, Unsealable, key_from

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def endpoint() -> WebhookEndpoint:
    e = WebhookEndpoint(
        url="https://h.example/x",
        tenant_id=uuid4(),
        include_subtenants=False,
        event_types=None,
        description=None,
        secret=new_secret(),
        created_by="key:test",
    )
    e.collect_events()
    return e


def names(e: WebhookEndpoint) -> list[str]:
    return [type(x).__name__ for x in e.collect_events()]


def test_an_update_that_changes_nothing_records_nothing() -> None:
    e = endpoint()
    e.update(e.url, e.event_types, e.description)
    e.set_status("enabled")
    assert names(e) == []
    e.update("https://h.example/y", ["SeatAssigned"], "d")
    e.set_status("disabled")
    assert names(e) == ["WebhookEndpointUpdated", "WebhookEndpointDisabled"]


def test_a_rotation_keeps_the_previous_secret_valid_for_24_hours() -> None:
    e = endpoint()
    e.rotate_secret(new_secret(), NOW)
    (rotated,) = e.collect_events()
    assert rotated.previous_valid_until == NOW + timedelta(hours=24)


def test_a_deleted_endpoint_is_not_found_and_a_disabled_one_not_retried() -> None:
    e = endpoint()
    e.set_status("disabled")
    with pytest.raises(InvalidState):
        e.retry(uuid4())
    e.delete()
    for change in (e.delete, lambda: e.rotate_secret(new_secret(), NOW)):
        with pytest.raises(NotFound):
            change()


def test_signatures_verify_with_the_standardwebhooks_library() -> None:
    old, new = new_secret(), new_secret()
    body = b'{"type":"SeatAssigned"}'
    signed = headers([old, new], "msg-1", int(datetime.now(UTC).timestamp()), body)
    assert len(signed["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        assert Webhook(secret).verify(body, signed) == {"type": "SeatAssigned"}


def test_a_sealed_secret_opens_only_with_its_key_and_for_its_endpoint() -> None:
    sealer, other = Sealer(os.urandom(32)), Sealer(os.urandom(32))
    sealed = sealer.seal("whsec_abc", "endpoint-1")
    assert sealed.startswith("sealed:v1:") and "whsec_abc" not in sealed
    assert sealer.unseal(sealed, "endpoint-1") == "whsec_abc"
    with pytest.raises(Unsealable, match="this process has key"):
        other.unseal(sealed, "endpoint-1")
    with pytest.raises(Unsealable, match="altered"):
        sealer.unseal(sealed, "endpoint-2")  # moved to another endpoint


def test_a_generated_sealing_key_is_kept_private_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "webhook-secret.key"
    first = key_from(None, path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert key_from(None, path) == first and len(first) == 32
    assert key_from("ab" * 32, path) == bytes.fromhex("ab" * 32)
