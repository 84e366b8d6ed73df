"""Webhook endpoint bodies and answers, and the delivery log."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Literal
from uuid import UUID

from pydantic import BaseModel

from api.schemas.common import Body, body_of
from application.present import EndpointOut
from domain.commands import CreateWebhookEndpoint, UpdateWebhookEndpoint

if TYPE_CHECKING:  # mypy sees a body class; at run time it is derived
    CreateEndpointBody = Body
    UpdateEndpointBody = Body
else:
    CreateEndpointBody = body_of(CreateWebhookEndpoint, "CreateEndpointBody")
    UpdateEndpointBody = body_of(
        UpdateWebhookEndpoint, "UpdateEndpointBody", path=("endpoint_id",)
    )

DeliveryStatus = Literal["pending", "succeeded", "failed"]


class EndpointsOut(BaseModel):
    endpoints: list[EndpointOut]  # never a secret
    next_cursor: str | None
    position: int  # how far the endpoint projection has applied


class DeliveryOut(BaseModel):
    delivery_id: UUID
    event_id: UUID  # the `webhook-id` header of every attempt
    type: str
    position: int
    status: DeliveryStatus
    attempts: int
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None


class DeliveriesOut(BaseModel):
    endpoint_id: UUID
    deliveries: list[DeliveryOut]  # newest event first
    next_cursor: str | None


class RetryOut(BaseModel):
    endpoint_id: UUID
    delivery_id: UUID
    status: Literal["pending"] = "pending"
    position: int  # of the recorded request (the sender acts on it)


__all__ = [
    "CreateEndpointBody",
    "DeliveriesOut",
    "DeliveryOut",
    "EndpointOut",
    "EndpointsOut",
    "RetryOut",
    "UpdateEndpointBody",
]
