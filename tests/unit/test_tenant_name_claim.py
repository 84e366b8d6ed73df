"""TenantNameClaim: names unique among siblings, reclaimed and released."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest

from domain.errors import AlreadyExists
from domain.tenant import TenantNameClaim, name_claim_id
from tests.unit.builders import event_names


def new_claim(tenant_id: UUID, parent_id: UUID | None = None) -> TenantNameClaim:
    claim = TenantNameClaim(parent_id=parent_id, name="Acme", tenant_id=tenant_id)
    claim.collect_events()
    return claim


def test_name_claim_id_ignores_case_and_spacing_but_not_the_parent() -> None:
    parent = uuid4()

    assert name_claim_id(parent, "  ACME   corp ") == name_claim_id(parent, "acme corp")
    assert name_claim_id(parent, "Acme") != name_claim_id(uuid4(), "Acme")
    assert name_claim_id(None, "Acme") != name_claim_id(parent, "Acme")


def test_claiming_a_name_uses_the_derived_id() -> None:
    parent, tenant_id = uuid4(), uuid4()

    claim = TenantNameClaim(parent_id=parent, name=" acme ", tenant_id=tenant_id)

    assert claim.id == name_claim_id(parent, "Acme")
    assert claim.tenant_id == tenant_id
    assert event_names(claim) == ["TenantNameClaimed"]


def test_reclaiming_own_name_is_a_no_op() -> None:
    tenant_id = uuid4()
    claim = new_claim(tenant_id)

    claim.reclaim(tenant_id)

    assert claim.tenant_id == tenant_id
    assert event_names(claim) == []


def test_name_held_by_another_tenant_cannot_be_reclaimed() -> None:
    holder = uuid4()
    claim = new_claim(holder)

    with pytest.raises(AlreadyExists):
        claim.reclaim(uuid4())

    assert claim.tenant_id == holder
    assert event_names(claim) == []


def test_released_name_can_be_reclaimed_by_another_tenant() -> None:
    claim = new_claim(uuid4())
    newcomer = uuid4()

    claim.release()
    claim.reclaim(newcomer)

    assert claim.tenant_id == newcomer
    assert event_names(claim) == ["TenantNameReleased", "TenantNameReclaimed"]


def test_releasing_a_released_name_is_a_no_op() -> None:
    claim = new_claim(uuid4())
    claim.release()
    claim.collect_events()

    claim.release()

    assert claim.tenant_id is None
    assert event_names(claim) == []
