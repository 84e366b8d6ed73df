"""Every route's authorization rule, in one table (API.md "Keys").

Routes call `guard.check(tenant)`; the action comes from here, by method and
path template. The isolation test walks the application's route table and
fails for any /v1 route missing from this one.
"""

from __future__ import annotations

from fastapi import Request

from api.auth import Action, Guard, principal

T = "/v1/tenants/{tenant_id}"

ROUTE_RULES: dict[tuple[str, str], Action] = {
    ("POST", "/v1/tenants"): Action.CREATE_TENANT,
    ("GET", "/v1/tenants"): Action.READ_PROJECTIONS,  # filtered to the key's scope
    ("GET", T): Action.READ_STATE,
    ("PATCH", T): Action.MANAGE_TENANT,
    ("POST", f"{T}/licenses"): Action.MANAGE_CONTRACT,
    ("DELETE", f"{T}/licenses/{{feature}}"): Action.MANAGE_CONTRACT,
    ("POST", f"{T}/handover"): Action.MANAGE_CONTRACT,
    ("POST", f"{T}/suspend"): Action.MANAGE_CONTRACT,
    ("POST", f"{T}/close"): Action.MANAGE_CONTRACT,
    ("GET", f"{T}/tree"): Action.READ_PROJECTIONS,
    ("PUT", f"{T}/seats/{{pool}}"): Action.MANAGE_CONTRACT,
    ("GET", f"{T}/seats/{{pool}}"): Action.READ_STATE,
    ("GET", f"{T}/seats/{{pool}}/forecast"): Action.READ_PROJECTIONS,
    ("POST", f"{T}/seats/{{pool}}/assignments"): Action.MANAGE_TENANT,
    ("DELETE", f"{T}/seats/{{pool}}/assignments/{{holder_id}}"): Action.MANAGE_TENANT,
    ("GET", f"{T}/seats/{{pool}}/assignments"): Action.READ_PROJECTIONS,
    ("GET", f"{T}/usage"): Action.READ_PROJECTIONS,
    ("POST", f"{T}/members"): Action.MANAGE_TENANT,
    ("GET", f"{T}/members"): Action.READ_PROJECTIONS,
    ("GET", f"{T}/members/{{member_id}}"): Action.READ_STATE,
    ("PATCH", f"{T}/members/{{member_id}}"): Action.MANAGE_TENANT,
    ("DELETE", f"{T}/members/{{member_id}}"): Action.MANAGE_TENANT,
    ("POST", f"{T}/invitations"): Action.MANAGE_TENANT,
    ("GET", f"{T}/invitations"): Action.READ_PROJECTIONS,
    ("GET", "/v1/invitations/{invitation_id}"): Action.READ_STATE,
    ("POST", "/v1/invitations/{invitation_id}/accept"): Action.ACCEPT_INVITATION,
    ("POST", "/v1/invitations/{invitation_id}/resend"): Action.MANAGE_TENANT,
    ("DELETE", "/v1/invitations/{invitation_id}"): Action.MANAGE_TENANT,
    ("POST", f"{T}/license-orders"): Action.MANAGE_TENANT,
    ("GET", f"{T}/license-orders"): Action.READ_PROJECTIONS,
    ("GET", "/v1/license-orders/{order_id}"): Action.READ_STATE,
    ("POST", "/v1/license-orders/{order_id}/approve"): Action.APPROVE_ORDERS,
    ("POST", "/v1/license-orders/{order_id}/reject"): Action.APPROVE_ORDERS,
    ("POST", "/v1/license-orders/{order_id}/cancel"): Action.MANAGE_TENANT,
    ("GET", f"{T}/reports/active-users"): Action.READ_PROJECTIONS,
    ("GET", f"{T}/reports/usage-history"): Action.READ_PROJECTIONS,
    ("GET", "/v1/events"): Action.READ_HISTORY,
    ("GET", f"{T}/history"): Action.READ_HISTORY,
    ("GET", "/v1/audit/verify"): Action.READ_HISTORY,
    ("POST", "/v1/commands"): Action.PER_COMMAND,
    ("POST", "/v1/api-keys"): Action.MANAGE_KEYS,
    ("DELETE", "/v1/api-keys/{key_id}"): Action.MANAGE_KEYS,
}


def guard(request: Request) -> Guard:
    route = request.scope.get("route")
    key = (request.method, getattr(route, "path", ""))
    return Guard(principal(request), ROUTE_RULES.get(key))
