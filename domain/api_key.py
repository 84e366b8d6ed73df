"""ApiKey: a bearer key with a role and, for most roles, a tenant scope.

The secret never enters the store: the key keeps a SHA-256 digest of it
(secrets are 256 random bits, so the digest cannot be inverted by guessing).
"""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidState


class ApiKey(Aggregate):
    @staticmethod
    def create_id(key_id: UUID, **_: object) -> UUID:
        # The id is part of the secret, so it is chosen before the key exists.
        return key_id

    @event("ApiKeyCreated")
    def __init__(
        self,
        key_id: UUID,
        name: str,
        role: str,
        tenant_id: UUID | None,
        secret_digest: str,
        created_by: str,
    ) -> None:
        self.name = name
        self.role = role
        self.tenant_id = tenant_id
        self.secret_digest = secret_digest
        self.created_by = created_by
        self.revoked = False

    def revoke(self) -> None:
        if self.revoked:
            raise InvalidState("the key is already revoked")
        self._revoke()

    @event("ApiKeyRevoked")
    def _revoke(self) -> None:
        self.revoked = True
