"""The application service: one method per use case, get -> decide -> save.

Every use case saves all the aggregates it touched in one atomic `save(...)`,
with optimistic concurrency on each; a conflict is retried a bounded number of
times with fresh state, then surfaces as `concurrency_conflict`.
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, ParamSpec, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, Mapper

from domain.commands import (
    AssignSeat,
    CreateTenant,
    ReleaseSeat,
    SetSeatLimit,
    UpdateTenant,
)
from domain.common import MULTI_TENANT
from domain.errors import ConcurrencyConflict, LicenseRequired, NotFound
from domain.receipt import CommandReceipt, receipt_id
from domain.seat_pool import SeatPool, pool_id
from domain.tenant import Tenant, TenantNameClaim, check_charset, name_claim_id
from infra.events import CommandContext, EnvelopeMapper, done_saving, saving

P = ParamSpec("P")
R = TypeVar("R")
A = TypeVar("A", bound=Aggregate)


@dataclass(frozen=True)
class Outcome:
    """What a use case returns: the aggregate the caller asked about and the
    position of the last event recorded (the current head when nothing was)."""

    aggregate: Any
    position: int
    changed: bool = True


class CommandAlreadyApplied(Exception):
    """A command with this id took effect before (its receipt exists)."""

    def __init__(self, position: int) -> None:
        super().__init__(f"command already applied at position {position}")
        self.position = position


def retrying(method: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        ledger: Ledger = args[0]  # type: ignore[assignment]
        ctx = args[1]
        for attempt in range(ledger.retry_attempts):
            if isinstance(ctx, CommandContext) and ctx.command_id is not None:
                ledger.check_not_applied(ctx.command_id)
            try:
                return method(*args, **kwargs)
            except IntegrityError:
                # Another writer saved one of our aggregates first; nothing of
                # ours was recorded, so deciding again on fresh state is safe.
                # Exponential backoff with full jitter spreads the racers out.
                time.sleep(random.uniform(0, min(0.1, 0.002 * 2**attempt)))
        raise ConcurrencyConflict(
            "the command kept conflicting with concurrent changes; try again",
            attempts=ledger.retry_attempts,
        )

    return wrapper


class Ledger(Application[UUID]):
    name = "seatledger"
    # A command loads at most the last 50 events of an aggregate on top of a
    # snapshot, so its cost does not grow with the aggregate's history.
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {
        SeatPool: 50,
        Tenant: 50,
    }

    def __init__(
        self, env: dict[str, str] | None = None, retry_attempts: int = 10
    ) -> None:
        self.retry_attempts = retry_attempts
        super().__init__(env)

    def construct_mapper(self) -> Mapper[UUID]:
        return self.factory.mapper(
            transcoder=self.construct_transcoder(), mapper_class=EnvelopeMapper
        )

    # -- plumbing ---------------------------------------------------------

    def head(self) -> int:
        return self.recorder.max_notification_id() or 0

    def position_of(self, aggregate: Aggregate) -> int:
        """The global position of the aggregate's latest event."""
        recorder: Any = self.recorder
        table = recorder.events_table_name
        with recorder.datastore.transaction(commit=False) as cursor:
            if self.factory.__class__.__module__.startswith("eventsourcing.sqlite"):
                cursor.execute(
                    f"SELECT rowid FROM {table} WHERE originator_id = ?"
                    " AND originator_version = ?",
                    (aggregate.id.hex, aggregate.version),
                )
            else:
                cursor.execute(
                    f"SELECT notification_id FROM {recorder.datastore.schema}.{table}"
                    " WHERE originator_id = %s AND originator_version = %s",
                    (aggregate.id, aggregate.version),
                )
            row = cursor.fetchone()
        if row is None:
            return 0
        return int(row["notification_id"] if isinstance(row, dict) else row[0])

    def _load(self, cls: type[A], aggregate_id: UUID, what: str) -> A:
        try:
            aggregate: Any = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(f"{what} not found") from None
        if not isinstance(aggregate, cls):
            raise NotFound(f"{what} not found")
        return aggregate

    def _find(self, cls: type[A], aggregate_id: UUID) -> A | None:
        try:
            aggregate: Any = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        return aggregate if isinstance(aggregate, cls) else None

    def check_not_applied(self, command_id: UUID) -> None:
        receipt = self._find(CommandReceipt, receipt_id(command_id))
        if receipt is not None:
            raise CommandAlreadyApplied(self.position_of(receipt))

    def _commit(
        self, ctx: CommandContext, *aggregates: Aggregate | None
    ) -> tuple[int, bool]:
        present: list[Aggregate] = [a for a in aggregates if a is not None]
        changes = any(a.pending_events for a in present)
        if changes and ctx.command_id is not None:
            # A no-op needs no receipt: running it again changes nothing.
            present.append(
                CommandReceipt(
                    command_id=ctx.command_id,
                    command_type=ctx.command_type,
                    tenant_id=_owner(present[0]),
                )
            )
        tenants = {a.id: _owner(a) for a in present}
        token = saving(ctx, tenants)
        try:
            recordings = self.save(*present)
        finally:
            done_saving(token)
        if not recordings:
            return self.head(), False
        return max(r.notification.id for r in recordings), True

    # -- tenants ----------------------------------------------------------

    def tenant(self, tenant_id: UUID) -> Tenant:
        return self._load(Tenant, tenant_id, "tenant")

    @retrying
    def create_tenant(self, ctx: CommandContext, cmd: CreateTenant) -> Outcome:
        charset = check_charset(cmd.type, cmd.charset)
        parent = self.tenant(cmd.parent_id) if cmd.parent_id else None
        if parent is not None:
            parent.check_may_have_children()
        tenant = Tenant(
            name=cmd.name,
            parent_id=cmd.parent_id,
            tenant_type=cmd.type,
            edition=cmd.edition,
            charset=charset,
            logo_url=cmd.logo_url,
        )
        claim = self._claim_name(cmd.parent_id, cmd.name, tenant.id)
        if parent is not None:
            parent.attach_child(tenant.id)
        position, _ = self._commit(ctx, tenant, claim, parent)
        return Outcome(tenant, position)

    def _claim_name(
        self, parent_id: UUID | None, name: str, tenant_id: UUID
    ) -> TenantNameClaim:
        claim = self._find(TenantNameClaim, name_claim_id(parent_id, name))
        if claim is None:
            return TenantNameClaim(parent_id=parent_id, name=name, tenant_id=tenant_id)
        claim.reclaim(tenant_id)
        return claim

    @retrying
    def update_tenant(self, ctx: CommandContext, cmd: UpdateTenant) -> Outcome:
        tenant = self.tenant(cmd.tenant_id)
        claims: list[TenantNameClaim] = []
        if cmd.name is not None and cmd.name != tenant.name:
            tenant.check_open()
            new_claim = self._claim_name(tenant.parent_id, cmd.name, tenant.id)
            old = self._find(
                TenantNameClaim, name_claim_id(tenant.parent_id, tenant.name)
            )
            if old is not None and old.id != new_claim.id:
                old.release()
                claims.append(old)
            claims.append(new_claim)
            tenant.rename(cmd.name)
        if "logo_url" in cmd.model_fields_set:
            tenant.change_logo(cmd.logo_url)
        if cmd.edition is not None:
            tenant.change_edition(cmd.edition)
        position, changed = self._commit(ctx, tenant, *claims)
        return Outcome(tenant, position, changed)

    @retrying
    def book_license(
        self, ctx: CommandContext, tenant_id: UUID, feature: str
    ) -> Outcome:
        tenant = self.tenant(tenant_id)
        tenant.book_license(feature)
        position, changed = self._commit(ctx, tenant)
        return Outcome(tenant, position, changed)

    @retrying
    def cancel_license(
        self, ctx: CommandContext, tenant_id: UUID, feature: str
    ) -> Outcome:
        tenant = self.tenant(tenant_id)
        tenant.cancel_license(feature)
        position, changed = self._commit(ctx, tenant)
        return Outcome(tenant, position, changed)

    @retrying
    def hand_over(self, ctx: CommandContext, tenant_id: UUID) -> Outcome:
        tenant = self.tenant(tenant_id)
        tenant.hand_over()
        position, changed = self._commit(ctx, tenant)
        return Outcome(tenant, position, changed)

    @retrying
    def suspend_tenant(self, ctx: CommandContext, tenant_id: UUID) -> Outcome:
        tenant = self.tenant(tenant_id)
        tenant.suspend()
        position, changed = self._commit(ctx, tenant)
        return Outcome(tenant, position, changed)

    @retrying
    def close_tenant(self, ctx: CommandContext, tenant_id: UUID) -> Outcome:
        tenant = self.tenant(tenant_id)
        tenant.close()
        position, changed = self._commit(ctx, tenant)
        return Outcome(tenant, position, changed)

    # -- seat pools -------------------------------------------------------

    def pool(self, tenant_id: UUID, pool: str) -> SeatPool:
        self.tenant(tenant_id)
        return self._load(SeatPool, pool_id(tenant_id, pool), f"seat pool {pool!r}")

    @retrying
    def set_seat_limit(self, ctx: CommandContext, cmd: SetSeatLimit) -> Outcome:
        tenant = self.tenant(cmd.tenant_id)
        tenant.check_open()
        pool = self._find(SeatPool, pool_id(cmd.tenant_id, cmd.pool))
        parent_pool = self._parent_pool(tenant, pool, cmd.pool)
        if pool is not None:
            pool.set_limit(cmd.limit, cmd.warning_threshold)
        if parent_pool is not None:
            parent_pool.allocate_to_child(tenant.id, cmd.limit)
        if pool is None:
            pool = SeatPool.open(
                tenant.id,
                cmd.pool,
                cmd.limit,
                cmd.warning_threshold,
                parent_pool.id if parent_pool else None,
            )
        position, changed = self._commit(ctx, pool, parent_pool)
        return Outcome(pool, position, changed)

    def _parent_pool(
        self, tenant: Tenant, pool: SeatPool | None, slug: str
    ) -> SeatPool | None:
        """The parent's pool this one draws from: fixed when the pool opened."""
        if pool is not None:
            parent_pool_id = pool.parent_pool_id
        elif tenant.parent_id is not None:
            parent_pool_id = pool_id(tenant.parent_id, slug)
        else:
            return None
        if parent_pool_id is None:
            return None
        parent_pool = self._find(SeatPool, parent_pool_id)
        if parent_pool is None:
            return None
        parent = self.tenant(parent_pool.tenant_id)
        if not parent.holds(MULTI_TENANT):
            raise LicenseRequired(
                "the parent tenant needs the multi_tenant license to allocate seats",
                feature=MULTI_TENANT,
                tenant_id=str(parent.id),
            )
        return parent_pool

    @retrying
    def assign_seat(self, ctx: CommandContext, cmd: AssignSeat) -> Outcome:
        pool = self.pool(cmd.tenant_id, cmd.pool)
        pool.assign(cmd.holder_id)
        position, _ = self._commit(ctx, pool)
        return Outcome(pool, position)

    @retrying
    def release_seat(self, ctx: CommandContext, cmd: ReleaseSeat) -> Outcome:
        pool = self.pool(cmd.tenant_id, cmd.pool)
        pool.release(cmd.holder_id)
        position, _ = self._commit(ctx, pool)
        return Outcome(pool, position)


def _owner(aggregate: Aggregate) -> UUID | None:
    if isinstance(aggregate, Tenant):
        return aggregate.id
    tenant_id = getattr(aggregate, "tenant_id", None)
    return tenant_id if isinstance(tenant_id, UUID) else None
