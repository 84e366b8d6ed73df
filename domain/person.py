"""Person: an identity known across tenants, keyed by the normalised email."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.common import derive_id, normalise_email


def person_id(email: str) -> UUID:
    return derive_id("person", normalise_email(email))


class Person(Aggregate):
    @staticmethod
    def create_id(email: str) -> UUID:
        return person_id(email)

    @event("PersonRegistered")
    def __init__(self, email: str) -> None:
        self.email = normalise_email(email)
