"""API keys: created with a fresh secret shown once, revoked at once."""

from __future__ import annotations

import hashlib
import secrets
from uuid import UUID, uuid4

from domain.api_key import ApiKey
from domain.commands import CreateApiKey
from infra.events import CommandContext
from infra.usecases.base import LedgerBase, Outcome, retrying

PREFIX = "sl"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def key_id_of(secret: str) -> UUID | None:
    """Secrets read `sl_<key id hex>_<random>`: the id finds the key without
    scanning, the random part proves possession."""
    parts = secret.split("_", 2)  # the random part may hold "_" too
    if len(parts) != 3 or parts[0] != PREFIX or len(parts[1]) != 32:
        return None
    try:
        return UUID(hex=parts[1])
    except ValueError:
        return None


class KeyCases(LedgerBase):
    def api_key(self, key_id: UUID) -> ApiKey:
        return self._load(ApiKey, key_id, "api key")

    def find_key(self, secret: str) -> ApiKey | None:
        key_id = key_id_of(secret)
        key = self._find(ApiKey, key_id) if key_id else None
        if key is None or key.revoked:
            return None
        if not secrets.compare_digest(key.secret_digest, digest(secret)):
            return None
        return key

    @retrying
    def create_key(self, ctx: CommandContext, cmd: CreateApiKey) -> tuple[Outcome, str]:
        """Returns the outcome and the secret, which exists nowhere else."""
        if cmd.tenant_id is not None:
            self.tenant(cmd.tenant_id).check_open()
        key_id = uuid4()
        secret = f"{PREFIX}_{key_id.hex}_{secrets.token_urlsafe(32)}"
        key = ApiKey(
            key_id=key_id,
            name=cmd.name,
            role=cmd.role,
            tenant_id=cmd.tenant_id,
            secret_digest=digest(secret),
            created_by=ctx.actor,
        )
        return self._outcome(ctx, key), secret

    @retrying
    def revoke_key(self, ctx: CommandContext, key_id: UUID) -> Outcome:
        key = self.api_key(key_id)
        key.revoke()
        return self._outcome(ctx, key)
