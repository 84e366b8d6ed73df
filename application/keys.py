"""API keys: the secret's form, and authentication (a secret to a principal).

Secrets read `sl_<key id hex>_<random>`: the id finds the key without a
scan, the random part proves possession. Only a SHA-256 digest is stored.
The operator key comes from the environment and is compared as a digest in
constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from uuid import UUID

from application.auth import Principal, Role
from domain.api_key import ApiKey

PREFIX = "sl"
MAX_SECRET = 200


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret(key_id: UUID) -> str:
    return f"{PREFIX}_{key_id.hex}_{secrets.token_urlsafe(32)}"


def key_id_of(secret: str) -> UUID | None:
    parts = secret.split("_", 2)  # the random part may hold "_" too
    if len(parts) != 3 or parts[0] != PREFIX or len(parts[1]) != 32:
        return None
    try:
        return UUID(hex=parts[1])
    except ValueError:
        return None


class Authenticator:
    """Resolves a bearer secret to a principal: the operator key, or a stored
    API key looked up on every request, so a revocation takes effect at once."""

    def __init__(
        self, operator_key: str, find_key: Callable[[UUID], ApiKey | None]
    ) -> None:
        self._operator = hashlib.sha256(operator_key.strip().encode()).digest()
        self._find_key = find_key

    def authenticate(self, authorization: str | None) -> Principal | None:
        if not authorization or not authorization.lower().startswith("bearer "):
            return None
        secret = authorization[7:].strip()
        if not secret or len(secret) > MAX_SECRET:
            return None
        if hmac.compare_digest(
            hashlib.sha256(secret.encode()).digest(), self._operator
        ):
            return Principal("operator", Role.OPERATOR)
        return self._stored(secret)

    def needs_store(self, authorization: str | None) -> bool:
        """Whether authenticating this header reads the store (a stored key's
        form); the operator key and malformed headers are answered at once,
        with no I/O, so a caller need not move to a thread for them."""
        if not authorization or not authorization.lower().startswith("bearer "):
            return False
        return key_id_of(authorization[7:].strip()) is not None

    def _stored(self, secret: str) -> Principal | None:
        key_id = key_id_of(secret)
        key = self._find_key(key_id) if key_id else None
        if key is None or key.revoked:
            return None
        if not secrets.compare_digest(key.secret_digest, digest(secret)):
            return None
        return Principal(str(key.id), Role(key.role), key.tenant_id)

    def by_key_id(self, key_id: UUID) -> Principal | None:
        """The principal a Kafka command names as its actor (None when the
        key is unknown or revoked)."""
        key = self._find_key(key_id)
        if key is None or key.revoked:
            return None
        return Principal(str(key.id), Role(key.role), key.tenant_id)
