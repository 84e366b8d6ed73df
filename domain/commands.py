"""Commands: imperative, validated, the same for HTTP and the Kafka topic.

A command holds its request body plus its path parameters by name, so a Kafka
message's payload validates with exactly the model the HTTP route uses.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from domain.common import (
    MAX_LIMIT,
    Charset,
    Edition,
    Email,
    FeatureSlug,
    HolderId,
    Instant,
    LogoUrl,
    Name,
    Note,
    PoolSlug,
    Printable,
    RoleSlug,
    SeatLimit,
    TenantType,
    Threshold,
    WebhookUrl,
)


class Command(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CreateTenant(Command):
    name: Name
    parent_id: UUID | None = None
    type: TenantType = TenantType.STANDARD
    edition: Edition = Edition.BASIC
    charset: Charset = "UTF-8"
    logo_url: LogoUrl | None = None


class UpdateTenant(Command):
    tenant_id: UUID
    name: Name | None = None
    logo_url: LogoUrl | None = None
    edition: Edition | None = None


class BookLicense(Command):
    tenant_id: UUID
    feature: FeatureSlug


class CancelLicense(Command):
    tenant_id: UUID
    feature: FeatureSlug


class HandOverTenant(Command):
    tenant_id: UUID


class SuspendTenant(Command):
    tenant_id: UUID


class CloseTenant(Command):
    tenant_id: UUID


class SetSeatLimit(Command):
    """With `effective_at` (an instant in the future) the change is recorded
    now and applied when that instant has come (domain/scheduled_change.py)."""

    tenant_id: UUID
    pool: PoolSlug
    limit: SeatLimit
    warning_threshold: Threshold | None = None
    effective_at: Instant | None = None


class CancelScheduledChange(Command):
    change_id: UUID


class ApplyDueChanges(Command):
    """Applies a pool's scheduled changes whose instant has come (the
    service's scheduler; any command on the pool does so too)."""

    tenant_id: UUID
    pool: PoolSlug


class TransferSeats(Command):
    """Moves contracted seats of `pool` to a sibling sub-tenant's pool."""

    tenant_id: UUID
    pool: PoolSlug
    to_tenant_id: UUID
    quantity: int = Field(ge=1, le=MAX_LIMIT, strict=True)


class AssignSeat(Command):
    tenant_id: UUID
    pool: PoolSlug
    holder_id: HolderId


class ReleaseSeat(Command):
    tenant_id: UUID
    pool: PoolSlug
    holder_id: HolderId


class AddMember(Command):
    tenant_id: UUID
    email: Email
    role: RoleSlug
    display_name: Name | None = None
    start_date: date | None = None
    end_date: date | None = None


class UpdateMember(Command):
    """Fields left out stay as they are; `end_date: null` clears the date."""

    tenant_id: UUID
    member_id: UUID
    role: RoleSlug | None = None
    status: Literal["active", "passive"] | None = None
    start_date: date | None = None
    end_date: date | None = None


class RemoveMember(Command):
    tenant_id: UUID
    member_id: UUID


class InviteMember(Command):
    tenant_id: UUID
    email: Email
    role: RoleSlug
    expires_in_days: int = Field(default=7, ge=1, le=90, strict=True)


class AcceptInvitation(Command):
    invitation_id: UUID
    display_name: Name | None = None


class ResendInvitation(Command):
    invitation_id: UUID
    expires_in_days: int = Field(default=7, ge=1, le=90, strict=True)


class RevokeInvitation(Command):
    invitation_id: UUID


class PlaceLicenseOrder(Command):
    tenant_id: UUID
    pool: PoolSlug
    quantity: int = Field(ge=1, le=100_000, strict=True)
    note: Note | None = None


class ApproveLicenseOrder(Command):
    order_id: UUID


class RejectLicenseOrder(Command):
    order_id: UUID
    reason: Note


class CancelLicenseOrder(Command):
    order_id: UUID


KeyRole = Literal[
    "operator", "partner", "tenant_admin", "service", "auditor", "analyst"
]
UNSCOPED_ROLES = frozenset({"operator", "auditor", "analyst"})


class CreateApiKey(Command):
    name: Name
    role: KeyRole
    tenant_id: UUID | None = None

    @model_validator(mode="after")
    def _scoped(self) -> CreateApiKey:
        if self.tenant_id is None and self.role not in UNSCOPED_ROLES:
            raise ValueError(f"a {self.role} key needs a tenant_id")
        return self


class RevokeApiKey(Command):
    key_id: UUID


class ExpireInvitation(Command):
    """Records an expiry time already brought about (for cron)."""

    invitation_id: UUID


class EndSeat(Command):
    """Releases the seat of a member whose end date has passed (for cron)."""

    tenant_id: UUID
    member_id: UUID


class RecordCheckpoint(Command):
    """The heads of the aggregates changed after `after`, up to `through`."""

    after: int = Field(ge=0)
    through: int = Field(ge=1)
    heads: dict[str, list[int | str | None]]


def _known_event_types(types: list[str] | None) -> list[str] | None:
    if types is None:
        return None
    from domain.event_types import event_types  # the aggregates import errors

    unknown = sorted(set(types) - event_types())
    if unknown:
        raise ValueError(f"unknown event type(s): {', '.join(unknown)}")
    return sorted(set(types))


EventTypes = Annotated[
    list[Annotated[str, StringConstraints(max_length=100)]],
    Field(min_length=1, max_length=100),
    AfterValidator(_known_event_types),
]
Description = Annotated[str, StringConstraints(max_length=500), Printable]


class CreateWebhookEndpoint(Command):
    url: WebhookUrl
    tenant_id: UUID | None = None
    include_subtenants: bool = False
    event_types: EventTypes | None = None  # None: every event type
    description: Description | None = None


class UpdateWebhookEndpoint(Command):
    endpoint_id: UUID
    url: WebhookUrl | None = None
    event_types: EventTypes | None = None
    description: Description | None = None
    status: Literal["enabled", "disabled"] | None = None


class DeleteWebhookEndpoint(Command):
    endpoint_id: UUID


class RotateWebhookSecret(Command):
    endpoint_id: UUID


class RetryWebhookDelivery(Command):
    endpoint_id: UUID
    delivery_id: UUID
