"""Sibling names under NFKC on both backends, including stores whose names
were claimed before names were NFKC-normalised."""

from __future__ import annotations

import unicodedata
from uuid import UUID

import pytest

from application.ports import Change, Commit, Meta
from domain.claim import Claim, name_claim_ids
from domain.commands import CreateTenant, UpdateTenant
from domain.errors import AlreadyExists
from infra.bootstrap import Container
from tests.support import load, result_id, run

FULLWIDTH_ACME = "\uff21cme"


def create(c: Container, name: str) -> UUID:
    return result_id(run(c, CreateTenant(name=name)))


def recorded_before_nfkc(c: Container, name: str) -> UUID:
    """A root tenant as a store written before NFKC holds it: its name
    claimed only under the old (case folding only) id. Written to the store
    directly, as that release did (the bus finds it changed behind its back
    and reads it again)."""
    tenant_id = create(c, name)
    current, legacy = name_claim_ids(None, name)
    claim = load(c, Claim, current)
    claim.release()
    old = Claim(key=legacy, owner=str(tenant_id), tenant_id=tenant_id)
    events = [*claim.collect_events(), *old.collect_events()]
    owners: dict[UUID, UUID | None] = {claim.id: tenant_id, old.id: tenant_id}
    change = Change(events, Meta("key:test", "before-nfkc"), owners)
    c.store.append(Commit([change], reads={claim.id: claim.version - 1, old.id: 0}))
    return tenant_id


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Acme", FULLWIDTH_ACME),
        (unicodedata.normalize("NFC", "Café"), unicodedata.normalize("NFD", "Café")),
    ],
)
def test_look_alike_siblings_collide(
    container: Container, first: str, second: str
) -> None:
    create(container, first)
    with pytest.raises(AlreadyExists):
        create(container, second)


def test_a_name_claimed_before_nfkc_still_refuses_its_duplicates(
    container: Container,
) -> None:
    recorded_before_nfkc(container, FULLWIDTH_ACME)
    other = create(container, "Other")
    for spelling in (FULLWIDTH_ACME, "\uff41cme"):
        with pytest.raises(AlreadyExists):
            create(container, spelling)
        with pytest.raises(AlreadyExists):
            run(container, UpdateTenant(tenant_id=other, name=spelling))


def test_renaming_a_tenant_claimed_before_nfkc_frees_its_old_name(
    container: Container,
) -> None:
    old = recorded_before_nfkc(container, FULLWIDTH_ACME)
    run(container, UpdateTenant(tenant_id=old, name="Renamed"))
    legacy = load(container, Claim, name_claim_ids(None, FULLWIDTH_ACME)[1])
    assert legacy is not None and legacy.owner is None
    create(container, FULLWIDTH_ACME)


def test_renaming_it_leaves_a_later_siblings_claim_alone(container: Container) -> None:
    old = recorded_before_nfkc(container, FULLWIDTH_ACME)
    create(container, "ACME")  # its claim has the id the old name has now
    run(container, UpdateTenant(tenant_id=old, name="Renamed"))
    with pytest.raises(AlreadyExists):
        create(container, "acme")
