"""The Ledger application: every use case, assembled from one module per
resource (infra/usecases/). Each is get -> decide -> one atomic save."""

from __future__ import annotations

from infra.usecases.base import CommandAlreadyApplied, Outcome, retrying
from infra.usecases.keys import KeyCases
from infra.usecases.members import MemberCases
from infra.usecases.orders import OrderCases
from infra.usecases.tenants import TenantCases


class Ledger(MemberCases, OrderCases, TenantCases, KeyCases):
    # The application's name names its tables (seatledger_events, ...): a
    # subclass would otherwise be renamed by eventsourcing, and an existing
    # store would read as empty.
    name = "seatledger"


__all__ = ["CommandAlreadyApplied", "Ledger", "Outcome", "retrying"]
