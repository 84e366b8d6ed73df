"""Standard Webhooks signatures (https://www.standardwebhooks.com/).

Written out rather than taken from the `standardwebhooks` package: it is
three lines of HMAC-SHA256 over `{id}.{timestamp}.{body}`, and the package
would bring a runtime dependency (with its own HTTP client stack) for them.
The tests verify every delivery with that package, as a receiver would.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

SECRET_PREFIX = "whsec_"


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(
    secrets: list[str], msg_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """One signature per live secret, space separated (two during the 24 h
    after a rotation, so receivers can switch secrets at their pace)."""
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(
            sign(s, msg_id, timestamp, body) for s in secrets
        ),
        "content-type": "application/json",
    }
