"""Claim: a unique key (a sibling name, an email) held by one owner at a time."""

from __future__ import annotations

from uuid import UUID, uuid4

from domain.claim import Claim, email_claim_id, name_claim_id
from tests.unit.builders import event_names, payloads


def new_claim(owner: str = "tenant:1", key: UUID | None = None) -> Claim:
    claim = Claim(key=key or uuid4(), owner=owner, tenant_id=None)
    claim.collect_events()
    return claim


def test_name_claim_id_ignores_case_and_spacing_but_not_the_parent() -> None:
    parent = uuid4()

    assert name_claim_id(parent, "  ACME   corp ") == name_claim_id(parent, "acme corp")
    assert name_claim_id(parent, "Acme") != name_claim_id(uuid4(), "Acme")
    assert name_claim_id(None, "Acme") != name_claim_id(parent, "Acme")


def test_email_claim_id_ignores_case_and_edges_but_not_the_tenant() -> None:
    tenant = uuid4()

    same = email_claim_id(tenant, " Alice@Example.COM ")
    assert same == email_claim_id(tenant, "alice@example.com")
    assert email_claim_id(uuid4(), "alice@example.com") != same
    assert email_claim_id(tenant, "bob@example.com") != same


def test_name_and_email_claims_never_share_an_id() -> None:
    tenant = uuid4()

    assert name_claim_id(tenant, "a@b.de") != email_claim_id(tenant, "a@b.de")


def test_claiming_a_key_uses_it_as_the_id() -> None:
    key, tenant_id = name_claim_id(None, "Acme"), uuid4()

    claim = Claim(key=key, owner=str(tenant_id), tenant_id=tenant_id)

    assert claim.id == key
    assert (claim.owner, claim.tenant_id) == (str(tenant_id), tenant_id)
    assert event_names(claim) == ["Claimed"]


def test_a_held_claim_is_free_only_for_its_owner() -> None:
    claim = new_claim("member:1")

    assert claim.is_free_for("member:1")
    assert not claim.is_free_for("invitation:2")


def test_taking_own_claim_again_is_a_no_op() -> None:
    claim = new_claim("member:1")

    claim.take("member:1")

    assert claim.owner == "member:1"
    assert event_names(claim) == []


def test_a_released_claim_is_free_for_anyone_and_can_be_taken() -> None:
    claim = new_claim("invitation:1")

    claim.release()
    assert (claim.owner, claim.is_free_for("member:2")) == (None, True)
    claim.take("member:2")

    assert claim.owner == "member:2"
    assert not claim.is_free_for("invitation:1")
    taken = ("Reclaimed", {"owner": "member:2", "tenant_id": None})
    assert payloads(claim) == [("Released", {}), taken]


def test_a_name_taken_by_another_tenant_is_that_tenants_from_then_on() -> None:
    claim = new_claim("tenant:a")
    claim.release()
    b = uuid4()
    claim.take("tenant:b", b)
    assert (claim.owner, claim.tenant_id) == ("tenant:b", b)


def test_releasing_a_released_claim_is_a_no_op() -> None:
    claim = new_claim()
    claim.release()
    claim.collect_events()

    claim.release()

    assert claim.owner is None
    assert event_names(claim) == []
