"""Webhook signing secrets, sealed at rest with a key that is not in the store.

The sender needs each endpoint's secret in clear to sign, so it cannot be a
digest like an API key's. The events that set a secret carry it sealed
(AES-256-GCM, bound to the endpoint's id), because events leave the database:
`/v1/events`, `seatledger export` and the Kafka topic show them to auditors
and consumers, who must see that a secret was set, never the secret. The key
comes from SEATLEDGER_WEBHOOK_SECRET_KEY or, unset, is generated once 0600 in
the data folder, like the operator key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "sealed:v1:"
KEY_BYTES = 32


class Unsealable(Exception):
    """A sealed value this key cannot open (another key, or altered)."""


class Sealer:
    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError(f"the sealing key must be {KEY_BYTES} bytes")
        self._aead = AESGCM(key)
        # Names the key in every sealed value, so a process holding another
        # key says so instead of "altered".
        self.key_id = hashlib.sha256(key).hexdigest()[:8]

    def seal(self, plaintext: str, bound_to: str) -> str:
        nonce = secrets.token_bytes(12)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), bound_to.encode())
        blob = base64.b64encode(nonce + sealed).decode()
        return f"{PREFIX}{self.key_id}:{blob}"

    def unseal(self, value: str, bound_to: str) -> str:
        if not value.startswith(PREFIX):
            raise Unsealable("the value is not sealed")
        key_id, _, blob = value[len(PREFIX) :].partition(":")
        if key_id != self.key_id:
            raise Unsealable(
                f"sealed with key {key_id}, this process has key {self.key_id}: "
                "set the same SEATLEDGER_WEBHOOK_SECRET_KEY everywhere"
            )
        try:
            raw = base64.b64decode(blob, validate=True)
            plain = self._aead.decrypt(raw[:12], raw[12:], bound_to.encode())
        except (InvalidTag, ValueError, binascii.Error):
            raise Unsealable("the sealed value was altered") from None
        return plain.decode()


def parse_key(text: str) -> bytes:
    """32 bytes as 64 hex digits or base64 (`openssl rand -hex 32`)."""
    text = text.strip()
    try:
        key = bytes.fromhex(text) if len(text) == 64 else base64.b64decode(text)
    except (ValueError, binascii.Error):
        key = b""
    if len(key) != KEY_BYTES:
        raise ValueError(
            "SEATLEDGER_WEBHOOK_SECRET_KEY must be 32 bytes as 64 hex digits "
            "or base64 (openssl rand -hex 32)"
        )
    return key


def key_from(configured: str | None, path: Path) -> bytes:
    """The configured key, else the one kept in `path`, generated 0600 the
    first time: written aside, then linked into place, which fails when the
    file exists, so processes starting at once all end up with one key."""
    if configured:
        return parse_key(configured)
    if not path.exists():
        aside = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
        fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(KEY_BYTES) + "\n")
        try:
            os.link(aside, path)
        except FileExistsError:
            pass  # another process was first: its key it is
        finally:
            aside.unlink()
    return parse_key(path.read_text())
