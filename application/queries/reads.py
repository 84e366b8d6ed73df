"""Every read the routes use, in one object built by the composition root."""

from __future__ import annotations

from dataclasses import dataclass

from application.queries.billing import BillingReads
from application.queries.contracts import ContractReads
from application.queries.history import HistoryReads
from application.queries.keys import KeyReads
from application.queries.listing import TenantListing
from application.queries.projected import ProjectedReads
from application.queries.scope import Scope
from application.queries.state import StateReads
from application.queries.usage import UsageReads
from application.queries.webhooks import WebhookReads


@dataclass(frozen=True)
class Reads:
    scope: Scope
    state: StateReads
    projected: ProjectedReads
    usage: UsageReads
    history: HistoryReads
    listing: TenantListing
    keys: KeyReads
    webhooks: WebhookReads
    billing: BillingReads
    contracts: ContractReads
