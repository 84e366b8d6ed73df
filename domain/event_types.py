"""Every event type the service records, by the name envelopes carry.

Webhook endpoints filter on these names, so an unknown one is refused when
the endpoint is registered instead of silently matching nothing.
"""

from __future__ import annotations

from functools import cache

from eventsourcing.domain import Aggregate, CanMutateAggregate

from domain.api_key import ApiKey
from domain.checkpoint import AuditTrail
from domain.claim import Claim
from domain.invitation import Invitation
from domain.license_order import LicenseOrder
from domain.member import Member
from domain.person import Person
from domain.receipt import CommandReceipt
from domain.scheduled_change import ScheduledChange
from domain.seat_pool import SeatPool
from domain.seat_transfer import SeatTransfer
from domain.tenant import Tenant
from domain.webhook_endpoint import WebhookEndpoint

AGGREGATES: tuple[type[Aggregate], ...] = (
    Tenant,
    SeatPool,
    Member,
    Invitation,
    Person,
    LicenseOrder,
    Claim,
    ApiKey,
    AuditTrail,
    CommandReceipt,  # recorded by earlier releases
    WebhookEndpoint,
    ScheduledChange,
    SeatTransfer,
)
_BASES = frozenset({"Event", "Created"})  # the library's own base classes


@cache
def event_types() -> frozenset[str]:
    return frozenset(
        name
        for cls in AGGREGATES
        for name, value in vars(cls).items()
        if isinstance(value, type)
        and issubclass(value, CanMutateAggregate)
        and name not in _BASES
    )
