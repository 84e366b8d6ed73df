"""Every /v1 route and what it runs: a command (authorized by the command
bus with the command's rule from application/catalogue.py) or a read with
its action (authorized by the queries with the one scope rule).

A route missing here is refused (deny by default), and the isolation test
walks the application's route table and fails for any /v1 route missing
from this one.
"""

from __future__ import annotations

from fastapi import Request

from application.auth import Action
from domain import commands as c
from domain.errors import Forbidden

T = "/v1/tenants/{tenant_id}"
STATE, VIEWS, HISTORY = Action.READ_STATE, Action.READ_PROJECTIONS, Action.READ_HISTORY
W, WEBHOOKS = "/v1/webhook-endpoints", Action.MANAGE_WEBHOOKS

ROUTE_RULES: dict[tuple[str, str], Action | type[c.Command]] = {
    ("POST", "/v1/tenants"): c.CreateTenant,
    ("GET", "/v1/tenants"): VIEWS,  # filtered to the key's scope
    ("GET", T): STATE,
    ("PATCH", T): c.UpdateTenant,
    ("POST", f"{T}/licenses"): c.BookLicense,
    ("DELETE", f"{T}/licenses/{{feature}}"): c.CancelLicense,
    ("POST", f"{T}/handover"): c.HandOverTenant,
    ("POST", f"{T}/suspend"): c.SuspendTenant,
    ("POST", f"{T}/close"): c.CloseTenant,
    ("GET", f"{T}/tree"): VIEWS,
    ("PUT", f"{T}/seats/{{pool}}"): c.SetSeatLimit,
    ("GET", f"{T}/seats/{{pool}}"): STATE,
    ("GET", f"{T}/seats/{{pool}}/forecast"): VIEWS,
    ("GET", f"{T}/seats/{{pool}}/scheduled-changes"): VIEWS,
    ("POST", f"{T}/seats/{{pool}}/transfers"): c.TransferSeats,
    ("DELETE", "/v1/scheduled-changes/{change_id}"): c.CancelScheduledChange,
    ("POST", f"{T}/seats/{{pool}}/assignments"): c.AssignSeat,
    ("DELETE", f"{T}/seats/{{pool}}/assignments/{{holder_id}}"): c.ReleaseSeat,
    ("GET", f"{T}/seats/{{pool}}/assignments"): VIEWS,
    ("GET", f"{T}/usage"): VIEWS,
    ("POST", f"{T}/members"): c.AddMember,
    ("GET", f"{T}/members"): VIEWS,
    ("GET", f"{T}/members/{{member_id}}"): STATE,
    ("PATCH", f"{T}/members/{{member_id}}"): c.UpdateMember,
    ("DELETE", f"{T}/members/{{member_id}}"): c.RemoveMember,
    ("POST", f"{T}/invitations"): c.InviteMember,
    ("GET", f"{T}/invitations"): VIEWS,
    ("GET", "/v1/invitations/{invitation_id}"): STATE,
    ("POST", "/v1/invitations/{invitation_id}/accept"): c.AcceptInvitation,
    ("POST", "/v1/invitations/{invitation_id}/resend"): c.ResendInvitation,
    ("DELETE", "/v1/invitations/{invitation_id}"): c.RevokeInvitation,
    ("POST", f"{T}/license-orders"): c.PlaceLicenseOrder,
    ("GET", f"{T}/license-orders"): VIEWS,
    ("GET", "/v1/license-orders/{order_id}"): STATE,
    ("POST", "/v1/license-orders/{order_id}/approve"): c.ApproveLicenseOrder,
    ("POST", "/v1/license-orders/{order_id}/reject"): c.RejectLicenseOrder,
    ("POST", "/v1/license-orders/{order_id}/cancel"): c.CancelLicenseOrder,
    ("GET", f"{T}/reports/active-users"): VIEWS,
    ("GET", f"{T}/reports/usage-history"): VIEWS,
    ("GET", f"{T}/reports/billing"): VIEWS,
    ("GET", "/v1/events"): HISTORY,
    ("GET", f"{T}/history"): HISTORY,
    ("GET", "/v1/audit/verify"): HISTORY,
    ("POST", "/v1/commands"): c.Command,  # each command's own rule
    ("POST", "/v1/api-keys"): c.CreateApiKey,
    ("GET", "/v1/api-keys"): Action.MANAGE_KEYS,  # the keys it may revoke
    ("DELETE", "/v1/api-keys/{key_id}"): c.RevokeApiKey,
    ("POST", W): c.CreateWebhookEndpoint,
    ("GET", W): WEBHOOKS,  # filtered to the endpoints the key manages
    ("GET", f"{W}/{{endpoint_id}}"): WEBHOOKS,
    ("PATCH", f"{W}/{{endpoint_id}}"): c.UpdateWebhookEndpoint,
    ("DELETE", f"{W}/{{endpoint_id}}"): c.DeleteWebhookEndpoint,
    ("POST", f"{W}/{{endpoint_id}}/rotate-secret"): c.RotateWebhookSecret,
    ("GET", f"{W}/{{endpoint_id}}/deliveries"): WEBHOOKS,
    ("POST", f"{W}/{{endpoint_id}}/deliveries/{{delivery_id}}/retry"): (
        c.RetryWebhookDelivery
    ),
}


async def listed(request: Request) -> None:
    """Deny by default: a route nobody gave a rule is nobody's."""
    route = request.scope.get("route")
    if (request.method, getattr(route, "path", "")) not in ROUTE_RULES:
        raise Forbidden("this route has no authorization rule")
