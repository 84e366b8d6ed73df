"""License orders: a tenant orders seats, an ancestor approves or rejects."""

from __future__ import annotations

from uuid import UUID

from domain.commands import (
    ApproveLicenseOrder,
    CancelLicenseOrder,
    PlaceLicenseOrder,
    RejectLicenseOrder,
)
from domain.common import MAX_LIMIT
from domain.errors import ValidationFailed
from domain.license_order import LicenseOrder
from domain.seat_pool import SeatPool, pool_id
from infra.events import CommandContext
from infra.usecases.base import Outcome, retrying
from infra.usecases.seats import SeatCases


class OrderCases(SeatCases):
    def order(self, order_id: UUID) -> LicenseOrder:
        return self._load(LicenseOrder, order_id, "license order")

    @retrying
    def place_order(self, ctx: CommandContext, cmd: PlaceLicenseOrder) -> Outcome:
        tenant = self.tenant(cmd.tenant_id)
        tenant.check_open()
        order = LicenseOrder(
            tenant_id=tenant.id,
            pool=cmd.pool,
            quantity=cmd.quantity,
            note=cmd.note,
            placed_by=ctx.actor,
        )
        return self._outcome(ctx, order)

    @retrying
    def approve_order(self, ctx: CommandContext, cmd: ApproveLicenseOrder) -> Outcome:
        """Fulfils the order and raises the pool's limit by its quantity in the
        same save, exactly as setting the limit would (opening the pool, drawing
        from the parent's); on any error the order stays placed."""
        order = self.order(cmd.order_id)
        order.check_placed()
        tenant = self.tenant(order.tenant_id)
        tenant.check_open()
        pool = self._find(SeatPool, pool_id(tenant.id, order.pool))
        current = pool.limit if pool is not None and pool.limit is not None else 0
        if current + order.quantity > MAX_LIMIT:
            raise ValidationFailed(
                f"the limit would exceed {MAX_LIMIT}", field="quantity"
            )
        touched = self.plan_limit(tenant, order.pool, current + order.quantity, None)
        order.fulfil()
        return self._outcome(ctx, order, *touched, tenant)

    @retrying
    def reject_order(self, ctx: CommandContext, cmd: RejectLicenseOrder) -> Outcome:
        order = self.order(cmd.order_id)
        order.reject(cmd.reason)
        return self._outcome(ctx, order)

    @retrying
    def cancel_order(self, ctx: CommandContext, cmd: CancelLicenseOrder) -> Outcome:
        order = self.order(cmd.order_id)
        order.cancel()
        return self._outcome(ctx, order)
