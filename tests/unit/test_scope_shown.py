"""What a read shows of a tenant it may read (application/queries/scope.py):
a key that reads its own tenant only is told of no other tenant there, not
in a tenant's `children` and not by an event's payload; a key that reads
subtrees is shown everything as it is. And every event field that names
another tenant is one the rule knows, so a new event type cannot slip by."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from eventsourcing.domain import Aggregate, CanMutateAggregate

import domain
from application.auth import Principal, Role
from application.queries.scope import (
    NAMES_ANOTHER_TENANT,
    event_shown,
    seen_by,
    tenant_seen_by,
)
from application.views import TenantView

HOME, CHILD, SIBLING = uuid4(), uuid4(), uuid4()
CONFINED = (Role.TENANT_ADMIN, Role.SERVICE)
SUBTREE = (Role.OPERATOR, Role.PARTNER, Role.AUDITOR, Role.ANALYST)

# Event fields with "tenant", "child" or "parent" in their name that name no
# tenant other than the event's own, and why.
NOT_ANOTHER = {
    "tenant_id": "the tenant the event belongs to",
    "parent_id": "the tenant's parent, in its own state for every reader",
    "parent_pool_id": "a pool the tenant draws from, not a tenant",
    "tenant_type": "a kind of tenant, not one",
    "include_subtenants": "a flag",
}


def key(role: Role) -> Principal:
    return Principal(key_id="k", role=role, tenant_id=HOME)


def view(children: tuple = (CHILD,)) -> TenantView:
    return TenantView(
        tenant_id=HOME,
        name="n",
        display_name="n",
        type="STANDARD",
        edition="BASIC",
        charset="UTF-8",
        logo_url=None,
        parent_id=None,
        status="active",
        licenses=(),
        admin_count=0,
        children=children,
        created_at=datetime(2024, 1, 1, tzinfo=UTC),
        pools=(),
    )


@pytest.mark.parametrize("role", CONFINED)
def test_a_confined_key_sees_a_tenant_without_children(role: Role) -> None:
    assert tenant_seen_by(key(role), view()) == view(children=())
    assert seen_by(key(role), view()) == view(children=())


@pytest.mark.parametrize("role", SUBTREE)
def test_a_subtree_reader_sees_the_tenant_itself(role: Role) -> None:
    original = view()
    assert tenant_seen_by(key(role), original) is original
    assert seen_by(key(role), original) is original


def test_views_of_anything_else_and_no_view_are_left_as_they_are() -> None:
    assert seen_by(key(Role.SERVICE), None) is None


@pytest.mark.parametrize("role", CONFINED)
@pytest.mark.parametrize("field", NAMES_ANOTHER_TENANT)
def test_a_confined_key_is_not_shown_an_event_naming_another_tenant(
    role: Role, field: str
) -> None:
    covered = {str(HOME)}
    for other in (CHILD, SIBLING, str(CHILD)):  # as stored: a UUID or a str
        assert not event_shown(key(role), covered, {field: other, "limit": 3})
    assert event_shown(key(role), covered, {field: HOME})
    assert event_shown(key(role), covered, {field: None})
    assert event_shown(key(role), covered, {"parent_id": CHILD, "name": "x"})


@pytest.mark.parametrize("role", SUBTREE)
def test_a_subtree_reader_is_shown_every_event(role: Role) -> None:
    for field in NAMES_ANOTHER_TENANT:
        assert event_shown(key(role), {str(HOME)}, {field: SIBLING})
        assert event_shown(key(role), None, {field: SIBLING})


def event_classes() -> Iterator[tuple[str, type]]:
    """Every event class of every aggregate in the domain package."""
    for info in pkgutil.iter_modules(domain.__path__):
        module = importlib.import_module(f"domain.{info.name}")
        for aggregate in vars(module).values():
            if not (isinstance(aggregate, type) and issubclass(aggregate, Aggregate)):
                continue
            for name, value in vars(aggregate).items():
                if isinstance(value, type) and issubclass(value, CanMutateAggregate):
                    yield f"{aggregate.__name__}.{name}", value


def fields(event: type) -> set[str]:
    found: set[str] = set()
    for cls in event.__mro__:
        found |= set(getattr(cls, "__annotations__", {}))
    return found


def test_every_event_field_naming_another_tenant_is_known_to_the_rule() -> None:
    unknown = {
        f"{name}.{field}"
        for name, event in event_classes()
        for field in fields(event)
        if any(word in field for word in ("tenant", "child", "parent"))
        and field not in NOT_ANOTHER
        and field not in NAMES_ANOTHER_TENANT
    }
    assert not unknown, (
        f"event fields that may name another tenant: {sorted(unknown)}; add them "
        "to scope.NAMES_ANOTHER_TENANT (or, naming none, to NOT_ANOTHER here)"
    )


def test_every_field_the_rule_knows_is_in_an_event() -> None:
    named = {field for _, event in event_classes() for field in fields(event)}
    assert set(NAMES_ANOTHER_TENANT) <= named
