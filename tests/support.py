"""Running commands and reading state in tests, through the command bus, as
every entry point of the service does."""

from __future__ import annotations

from typing import Any, TypeVar
from uuid import UUID

from application.auth import Principal, Role
from application.context import Context
from application.outcome import Outcome
from application.views import (
    InvitationView,
    KeyView,
    MemberView,
    OrderView,
    TenantView,
)
from domain.commands import Command
from infra.bootstrap import Container

A = TypeVar("A")

# The acting key of tests' commands: its events name `key:test` as actor.
TEST_KEY = Principal("test", Role.OPERATOR)


def run(
    c: Container, command: Command, who: Principal = TEST_KEY, **context: Any
) -> Outcome:
    """The command's outcome; raises its refusal (a DomainError)."""
    return c.bus.handle(who, command, Context(**context))


IDS = {
    TenantView: "tenant_id",
    MemberView: "member_id",
    InvitationView: "invitation_id",
    OrderView: "order_id",
    KeyView: "key_id",
}


def result_id(outcome: Outcome) -> UUID:
    """The id of the aggregate an outcome answers about (not for pools: a
    pool's id is `pool_id(tenant, pool)`)."""
    found: UUID = getattr(outcome.view, IDS[type(outcome.view)])
    return found


def load(c: Container, cls: type[A], aggregate_id: UUID) -> A:
    """The aggregate's current state, as the store has it."""
    found = c.store.get(aggregate_id)
    assert isinstance(found, cls), (cls, aggregate_id, found)
    return found
