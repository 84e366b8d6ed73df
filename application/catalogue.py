"""Every command, by type: its handler, its authorization rule, its status.

The one table a route, `POST /v1/commands`, the Kafka consumer, the CLI and
the demo all go through, so they cannot drift apart. A command's rule names
an action (application/auth.py) and the tenant it acts on (its target).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from application.auth import Action, authorize
from application.decision import Decided
from application.handlers import (
    audit,
    contracts,
    invitations,
    keys,
    members,
    orders,
    seats,
    tenants,
    webhooks,
)
from application.session import Session
from domain import commands as c
from domain.api_key import ApiKey
from domain.errors import Forbidden
from domain.invitation import Invitation
from domain.license_order import LicenseOrder
from domain.scheduled_change import ScheduledChange
from domain.webhook_endpoint import WebhookEndpoint

Handler = Callable[[Any, Session], Decided]
Target = Callable[[Any, Session], UUID | None]


def own_tenant(cmd: Any, s: Session) -> UUID | None:
    target: UUID = cmd.tenant_id
    return target


def parent_tenant(cmd: Any, s: Session) -> UUID | None:
    parent: UUID | None = cmd.parent_id
    return parent


def invitation_tenant(cmd: Any, s: Session) -> UUID | None:
    return s.load(Invitation, cmd.invitation_id, "invitation").tenant_id


def order_tenant(cmd: Any, s: Session) -> UUID | None:
    return s.load(LicenseOrder, cmd.order_id, "license order").tenant_id


def change_tenant(cmd: Any, s: Session) -> UUID | None:
    return s.load(ScheduledChange, cmd.change_id, "scheduled change").tenant_id


def nobody(cmd: Any, s: Session) -> UUID | None:
    return None


@dataclass(frozen=True)
class Entry:
    handler: Handler
    action: Action
    target: Target = own_tenant
    creates: bool = False  # 201 when it recorded something
    # On /v1/commands and the Kafka topic. API keys are made over HTTP only
    # (a secret never travels through Kafka); bookkeeping is the service's.
    public: bool = True

    def authorize(self, cmd: Any, s: Session) -> None:
        authorize(s.who, self.action, self.target(cmd, s), s.lineage)


@dataclass(frozen=True)
class KeyEntry(Entry):
    """Keys: in scope, and never more than the issuing key holds."""

    def authorize(self, cmd: Any, s: Session) -> None:
        if isinstance(cmd, c.RevokeApiKey):
            key = s.load(ApiKey, cmd.key_id, "api key")
            role, tenant_id = key.role, key.tenant_id
        else:
            role, tenant_id = cmd.role, cmd.tenant_id
        authorize(s.who, self.action, tenant_id, s.lineage)
        if not s.who.may_issue(role, tenant_id, s.lineage):
            raise Forbidden(f"this key may not issue or revoke {role} keys here")


def endpoint_tenant(cmd: Any, s: Session) -> UUID | None:
    return s.load(WebhookEndpoint, cmd.endpoint_id, "webhook endpoint").tenant_id


def includes_subtenants(cmd: Any, s: Session) -> bool:
    """What the endpoint a command creates or changes sends: a subtree's
    events or its tenant's alone."""
    if isinstance(cmd, c.CreateWebhookEndpoint):
        return cmd.include_subtenants
    endpoint = s.load(WebhookEndpoint, cmd.endpoint_id, "webhook endpoint")
    return endpoint.include_subtenants


@dataclass(frozen=True)
class WebhookEntry(Entry):
    """Endpoints: in scope; a tenant's sub-tenants' events only for a key
    that may read them (a tenant_admin reads its own tenant alone)."""

    action: Action = Action.MANAGE_WEBHOOKS
    target: Target = endpoint_tenant
    # Over HTTP only, like API keys: creation and rotation answer with a
    # signing secret, which must not travel through Kafka or a receipt.
    public: bool = False

    def authorize(self, cmd: Any, s: Session) -> None:
        super().authorize(cmd, s)
        if not s.who.may_see_endpoint(includes_subtenants(cmd, s)):
            raise Forbidden("this key reads its own tenant only, not sub-tenants")


MANAGE, CONTRACT = Action.MANAGE_TENANT, Action.MANAGE_CONTRACT
CATALOGUE: dict[type[c.Command], Entry] = {
    c.CreateTenant: Entry(
        tenants.create_tenant, Action.CREATE_TENANT, parent_tenant, creates=True
    ),
    c.UpdateTenant: Entry(tenants.update_tenant, MANAGE),
    c.BookLicense: Entry(tenants.book_license, CONTRACT, creates=True),
    c.CancelLicense: Entry(tenants.cancel_license, CONTRACT),
    c.HandOverTenant: Entry(tenants.hand_over, CONTRACT),
    c.SuspendTenant: Entry(tenants.suspend, CONTRACT),
    c.CloseTenant: Entry(tenants.close, CONTRACT),
    c.SetSeatLimit: Entry(seats.set_seat_limit, CONTRACT),
    c.CancelScheduledChange: Entry(contracts.cancel_change, CONTRACT, change_tenant),
    c.TransferSeats: Entry(contracts.transfer_seats, CONTRACT),
    c.AssignSeat: Entry(seats.assign_seat, MANAGE, creates=True),
    c.ReleaseSeat: Entry(seats.release_seat, MANAGE),
    c.AddMember: Entry(members.add_member, MANAGE, creates=True),
    c.UpdateMember: Entry(members.update_member, MANAGE),
    c.RemoveMember: Entry(members.remove_member, MANAGE),
    c.InviteMember: Entry(invitations.invite, MANAGE, creates=True),
    c.AcceptInvitation: Entry(
        invitations.accept, Action.ACCEPT_INVITATION, invitation_tenant
    ),
    c.ResendInvitation: Entry(invitations.resend, MANAGE, invitation_tenant),
    c.RevokeInvitation: Entry(invitations.revoke, MANAGE, invitation_tenant),
    c.PlaceLicenseOrder: Entry(orders.place, MANAGE, creates=True),
    c.ApproveLicenseOrder: Entry(orders.approve, Action.APPROVE_ORDERS, order_tenant),
    c.RejectLicenseOrder: Entry(orders.reject, Action.APPROVE_ORDERS, order_tenant),
    c.CancelLicenseOrder: Entry(orders.cancel, MANAGE, order_tenant),
    c.CreateApiKey: KeyEntry(
        keys.create_key, Action.MANAGE_KEYS, creates=True, public=False
    ),
    c.RevokeApiKey: KeyEntry(keys.revoke_key, Action.MANAGE_KEYS, public=False),
    c.CreateWebhookEndpoint: WebhookEntry(
        webhooks.create_endpoint, target=own_tenant, creates=True
    ),
    c.UpdateWebhookEndpoint: WebhookEntry(webhooks.update_endpoint),
    c.DeleteWebhookEndpoint: WebhookEntry(webhooks.delete_endpoint),
    c.RotateWebhookSecret: WebhookEntry(webhooks.rotate_secret),
    c.RetryWebhookDelivery: WebhookEntry(webhooks.retry_delivery),
    c.ExpireInvitation: Entry(invitations.expire, Action.SYSTEM, nobody, public=False),
    c.EndSeat: Entry(members.end_seat, Action.SYSTEM, nobody, public=False),
    c.ApplyDueChanges: Entry(contracts.apply_due, Action.SYSTEM, nobody, public=False),
    c.RecordCheckpoint: Entry(
        audit.record_checkpoint, Action.SYSTEM, nobody, public=False
    ),
}

# Commands by name, for `POST /v1/commands` and the Kafka topic.
PUBLIC: dict[str, type[c.Command]] = {
    model.__name__: model for model, entry in CATALOGUE.items() if entry.public
}
