"""Sibling names under NFKC on both backends, including stores whose names
were claimed before names were NFKC-normalised."""

from __future__ import annotations

import unicodedata
from uuid import UUID

import pytest

from domain.claim import Claim, name_claim_ids
from domain.commands import CreateTenant, UpdateTenant
from domain.errors import AlreadyExists
from infra.bootstrap import Container
from infra.events import CommandContext

FULLWIDTH_ACME = "\uff21cme"


def create(c: Container, ctx: CommandContext, name: str) -> UUID:
    return UUID(str(c.ledger.create_tenant(ctx, CreateTenant(name=name)).aggregate.id))


def recorded_before_nfkc(c: Container, ctx: CommandContext, name: str) -> UUID:
    """A root tenant as a store written before NFKC holds it: its name
    claimed only under the old (case folding only) id."""
    tenant_id = create(c, ctx, name)
    current, legacy = name_claim_ids(None, name)
    claim = c.ledger.find(Claim, current)
    assert claim is not None
    claim.release()
    old = Claim(key=legacy, owner=str(tenant_id), tenant_id=tenant_id)
    c.ledger.record(ctx, claim, old)
    return tenant_id


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Acme", FULLWIDTH_ACME),
        (unicodedata.normalize("NFC", "Café"), unicodedata.normalize("NFD", "Café")),
    ],
)
def test_look_alike_siblings_collide(
    container: Container, ctx: CommandContext, first: str, second: str
) -> None:
    create(container, ctx, first)
    with pytest.raises(AlreadyExists):
        create(container, ctx, second)


def test_a_name_claimed_before_nfkc_still_refuses_its_duplicates(
    container: Container, ctx: CommandContext
) -> None:
    recorded_before_nfkc(container, ctx, FULLWIDTH_ACME)
    other = create(container, ctx, "Other")
    for spelling in (FULLWIDTH_ACME, "\uff41cme"):
        with pytest.raises(AlreadyExists):
            create(container, ctx, spelling)
        with pytest.raises(AlreadyExists):
            container.ledger.update_tenant(
                ctx, UpdateTenant(tenant_id=other, name=spelling)
            )


def test_renaming_a_tenant_claimed_before_nfkc_frees_its_old_name(
    container: Container, ctx: CommandContext
) -> None:
    old = recorded_before_nfkc(container, ctx, FULLWIDTH_ACME)
    container.ledger.update_tenant(ctx, UpdateTenant(tenant_id=old, name="Renamed"))
    legacy = container.ledger.find(Claim, name_claim_ids(None, FULLWIDTH_ACME)[1])
    assert legacy is not None and legacy.owner is None
    create(container, ctx, FULLWIDTH_ACME)


def test_renaming_it_leaves_a_later_siblings_claim_alone(
    container: Container, ctx: CommandContext
) -> None:
    old = recorded_before_nfkc(container, ctx, FULLWIDTH_ACME)
    create(container, ctx, "ACME")  # its claim has the id the old name has now
    container.ledger.update_tenant(ctx, UpdateTenant(tenant_id=old, name="Renamed"))
    with pytest.raises(AlreadyExists):
        create(container, ctx, "acme")
