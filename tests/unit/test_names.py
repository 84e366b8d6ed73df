"""Names compare after NFKC and case folding; invisible and reordering
characters are refused; claims recorded under the old rule stay found."""

from __future__ import annotations

import unicodedata
from uuid import uuid4

import pytest
from pydantic import TypeAdapter, ValidationError

from domain.claim import (
    Claim,
    check_name_free,
    name_claim_id,
    name_claim_ids,
    release_former_name,
)
from domain.common import Name, legacy_normalise_name, normalise_name
from domain.errors import AlreadyExists

NAME = TypeAdapter(Name)
FULLWIDTH_ACME = "\uff21cme"
CAFE_NFC = unicodedata.normalize("NFC", "Caf\u00e9")
CAFE_NFD = unicodedata.normalize("NFD", "Caf\u00e9")


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Acme", FULLWIDTH_ACME),
        ("ACME", "\uff41\uff43\uff4d\uff45"),  # fullwidth lower case
        (CAFE_NFC, CAFE_NFD),
        ("Stra\u00dfe", "STRASSE"),
        ("Acme\u3000Corp", "acme corp"),  # ideographic space
    ],
)
def test_look_alike_spellings_are_one_name(one: str, other: str) -> None:
    assert normalise_name(one) == normalise_name(other)
    assert name_claim_id(None, one) == name_claim_id(None, other)


def test_cyrillic_a_is_not_unified_by_nfkc() -> None:
    assert normalise_name("\u0410cme") != normalise_name("Acme")


@pytest.mark.parametrize(
    "bad",
    [
        "Ac\u200bme",
        "Ac\u200cme",
        "Ac\u200dme",
        "Ac\u2060me",
        "\ufeffAcme",
        "Acme\u200e",
        "Acme\u200f",
        "\u202eemcA",
        "Ac\u202ame",
        "Ac\u2066me\u2069",
        "Ac\x85me",  # a C1 control
        "Ac\x07me",
        "\u200b\u200b",
    ],
)
def test_invisible_and_bidi_control_characters_are_refused(bad: str) -> None:
    with pytest.raises(ValidationError, match="zero-width"):
        NAME.validate_python(bad)


@pytest.mark.parametrize("good", ["Acme", FULLWIDTH_ACME, CAFE_NFD, "東京 GmbH"])
def test_visible_names_are_accepted_as_written(good: str) -> None:
    assert NAME.validate_python(f"  {good} ") == good


def test_an_ascii_name_has_one_claim_id() -> None:
    assert name_claim_ids(None, "Acme Corp") == [name_claim_id(None, "Acme Corp")]


def test_a_name_nfkc_changes_also_names_its_pre_nfkc_claim() -> None:
    parent = uuid4()
    current, legacy = name_claim_ids(parent, FULLWIDTH_ACME)
    assert current == name_claim_id(parent, "acme")
    assert legacy != current
    assert legacy_normalise_name(FULLWIDTH_ACME) == "\uff41cme"


def claim(owner: str | None) -> Claim:
    held = Claim(key=uuid4(), owner=owner or "tenant:x", tenant_id=None)
    if owner is None:
        held.release()
    held.collect_events()
    return held


def test_a_name_any_of_whose_claims_another_holds_is_taken() -> None:
    check_name_free([None, claim(None), claim("tenant:a")], "tenant:a")
    with pytest.raises(AlreadyExists):
        check_name_free([None, claim("tenant:b")], "tenant:a")


def test_a_rename_releases_only_the_claims_the_tenant_holds() -> None:
    mine, kept, sibling = claim("tenant:a"), claim("tenant:a"), claim("tenant:b")

    released = release_former_name([mine, kept, sibling, None], "tenant:a", kept.id)

    assert released == [mine]
    assert (mine.owner, kept.owner, sibling.owner) == (None, "tenant:a", "tenant:b")
