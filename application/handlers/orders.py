"""License orders: a tenant orders seats, an ancestor approves or rejects."""

from __future__ import annotations

from application.decision import Decided, decided
from application.handlers.pools import find_pool, plan_limit
from application.session import Session
from domain.commands import (
    ApproveLicenseOrder,
    CancelLicenseOrder,
    PlaceLicenseOrder,
    RejectLicenseOrder,
)
from domain.common import MAX_LIMIT
from domain.errors import ValidationFailed
from domain.license_order import LicenseOrder


def order_of(
    s: Session, cmd: ApproveLicenseOrder | RejectLicenseOrder | CancelLicenseOrder
) -> LicenseOrder:
    return s.load(LicenseOrder, cmd.order_id, "license order")


def place(cmd: PlaceLicenseOrder, s: Session) -> Decided:
    tenant = s.tenant(cmd.tenant_id)
    tenant.check_open()
    order = LicenseOrder(
        tenant_id=tenant.id,
        pool=cmd.pool,
        quantity=cmd.quantity,
        note=cmd.note,
        placed_by=s.who.actor,
    )
    return decided(order)


def approve(cmd: ApproveLicenseOrder, s: Session) -> Decided:
    """Fulfils the order and raises the pool's limit by its quantity in the
    same save, exactly as setting the limit would (opening the pool, drawing
    from the parent's); on any error the order stays placed."""
    order = order_of(s, cmd)
    order.check_placed()
    tenant = s.tenant(order.tenant_id)
    tenant.check_open()
    pool = find_pool(s, tenant.id, order.pool)
    current = pool.limit if pool is not None and pool.limit is not None else 0
    if current + order.quantity > MAX_LIMIT:
        raise ValidationFailed(f"the limit would exceed {MAX_LIMIT}", field="quantity")
    touched = plan_limit(s, tenant, order.pool, current + order.quantity, None)
    order.fulfil()
    return decided(order, *touched, tenant)


def reject(cmd: RejectLicenseOrder, s: Session) -> Decided:
    order = order_of(s, cmd)
    order.reject(cmd.reason)
    return decided(order)


def cancel(cmd: CancelLicenseOrder, s: Session) -> Decided:
    order = order_of(s, cmd)
    order.cancel()
    return decided(order)
