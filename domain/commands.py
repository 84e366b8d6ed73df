"""Commands: imperative, validated, the same for HTTP and the Kafka topic.

A command holds its request body plus its path parameters by name, so a Kafka
message's payload validates with exactly the model the HTTP route uses.
"""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict

from domain.common import (
    Charset,
    Edition,
    FeatureSlug,
    HolderId,
    LogoUrl,
    Name,
    PoolSlug,
    SeatLimit,
    TenantType,
    Threshold,
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
    tenant_id: UUID
    pool: PoolSlug
    limit: SeatLimit
    warning_threshold: Threshold | None = None


class AssignSeat(Command):
    tenant_id: UUID
    pool: PoolSlug
    holder_id: HolderId


class ReleaseSeat(Command):
    tenant_id: UUID
    pool: PoolSlug
    holder_id: HolderId
