"""Person: one identity across tenants, keyed by the normalised email."""

from __future__ import annotations

from domain.person import Person, normalise_email, person_id
from tests.unit.builders import event_names


def test_emails_are_normalised_by_trimming_and_lower_casing() -> None:
    assert normalise_email("  Alice@Example.COM\t") == "alice@example.com"


def test_person_id_is_the_same_for_every_spelling_of_an_email() -> None:
    spellings = ["alice@example.com", "ALICE@EXAMPLE.COM", " Alice@example.Com "]

    assert len({person_id(e) for e in spellings}) == 1
    assert person_id("alice@example.com") != person_id("alice@example.org")


def test_registering_a_person_keys_it_by_the_normalised_email() -> None:
    person = Person(email=" Alice@Example.COM ")

    assert person.id == person_id("alice@example.com")
    assert person.email == "alice@example.com"
    assert event_names(person) == ["PersonRegistered"]
