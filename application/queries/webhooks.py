"""Reads of webhook endpoints and their delivery logs.

Who may read them is who may manage them (README "Keys, roles and scopes":
webhook endpoints):
the operator; a partner in its subtree; a tenant_admin in its own tenant; an
endpoint of no tenant, the operator only. Out of scope is 404, as for every
read; an endpoint comes from the store (strongly consistent), lists from the
endpoint projection, delivery logs from the sender's table.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from application.auth import Action, Principal, refused_read
from application.ports import AggregateReader, ProjectionStore
from application.queries.scope import Scope
from application.queries.state import Found
from application.views import EndpointView, endpoint_view
from domain.errors import Forbidden, NotFound
from domain.webhook_endpoint import WebhookEndpoint
from projections import webhook_sender
from projections import webhooks as endpoints_view

MANAGE = Action.MANAGE_WEBHOOKS
Row = dict[str, Any]


class WebhookReads:
    def __init__(
        self,
        store: AggregateReader,
        db: ProjectionStore,
        scope: Scope,
        applied: Callable[[str | None], int],
    ) -> None:
        self.store = store
        self.db = db
        self.scope = scope
        self._applied = applied

    def position(self) -> int:
        return self._applied(None)

    def _may(self, who: Principal, tenant_id: UUID | None) -> bool:
        return who.in_scope(MANAGE, tenant_id, self.scope.lineage)

    def tenants(self, who: Principal, tenant_id: UUID | None) -> set[str] | None:
        """The tenants a list covers (None: every endpoint): the named tenant,
        or all the key manages."""
        lineage = self.scope.lineage
        if tenant_id is not None:
            if not self._may(who, tenant_id):
                raise refused_read(who, MANAGE, tenant_id, lineage)
            self.scope.existing(tenant_id)
            return {str(tenant_id)}
        if who.tenant_id is None and self._may(who, None):
            return None  # the operator
        if who.tenant_id is None or not self._may(who, who.tenant_id):
            raise refused_read(
                who, MANAGE, None, lineage, "no webhook endpoints for this key"
            )
        if who.reads_subtree:
            return {str(t) for t in self.scope.subtree(who.tenant_id)}
        return {str(who.tenant_id)}

    def endpoints(
        self,
        who: Principal,
        tenants: set[str] | None,
        cursor: str | None,
        limit: int,
    ) -> list[Row]:
        own_only = not who.may_see_endpoint(include_subtenants=True)
        with self.db.read() as tx:
            return endpoints_view.endpoints_of(tx, tenants, cursor, limit, own_only)

    def _endpoint(
        self, who: Principal, endpoint_id: UUID, deleted: bool = False
    ) -> WebhookEndpoint:
        found = self.store.get(endpoint_id)
        if not isinstance(found, WebhookEndpoint) or (found.deleted and not deleted):
            raise NotFound("webhook endpoint not found")
        if not self._may(who, found.tenant_id):
            if found.tenant_id is None:  # the operator's: not even its existence
                raise NotFound("webhook endpoint not found")
            raise refused_read(
                who,
                MANAGE,
                found.tenant_id,
                self.scope.lineage,
                "webhook endpoint not found",
            )
        if not who.may_see_endpoint(found.include_subtenants):
            raise NotFound("webhook endpoint not found")
        return found

    def endpoint(self, who: Principal, endpoint_id: UUID) -> Found[EndpointView]:
        found = self._endpoint(who, endpoint_id)
        return Found(
            endpoint_view(found), self.store.position_of(found.id, found.version)
        )

    def deliveries(
        self,
        who: Principal,
        endpoint_id: UUID,
        status: str | None,
        before: int | None,
        limit: int,
    ) -> list[Row]:
        self._endpoint(who, endpoint_id, deleted=True)  # what was sent stays readable
        with self.db.read() as tx:
            rows = webhook_sender.deliveries_of(
                tx, str(endpoint_id), status, before, limit
            )
        for row in rows:
            for key in ("next_attempt_at", "delivered_at"):
                row[key] = _instant(row[key])
        return rows

    def check_retry(self, who: Principal, endpoint_id: UUID, delivery_id: UUID) -> None:
        """Before a retry (a write): 403 out of scope, as for any write; then
        404 for a delivery the endpoint does not have."""
        found = self.store.get(endpoint_id)
        if not isinstance(found, WebhookEndpoint) or found.deleted:
            raise NotFound("webhook endpoint not found")
        if not self._may(who, found.tenant_id):
            raise Forbidden("this key may not do that here")
        if not who.may_see_endpoint(found.include_subtenants):
            raise Forbidden("this key reads its own tenant only, not sub-tenants")
        with self.db.read() as tx:
            if not webhook_sender.has_delivery(tx, str(endpoint_id), str(delivery_id)):
                raise NotFound("delivery not found")


def _instant(epoch: float | None) -> datetime | None:
    return datetime.fromtimestamp(float(epoch), UTC) if epoch is not None else None
