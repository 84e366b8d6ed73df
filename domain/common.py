"""Value types shared by aggregates, commands and the API."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated
from urllib.parse import urlsplit
from uuid import UUID, uuid5

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    EmailStr,
    Field,
    StringConstraints,
)

# Deterministic ids (pool per tenant, name claims) derive from this namespace, so
# uniqueness across aggregates is enforced by the store's version check.
NAMESPACE = UUID("6f1b4c2e-6d0a-4a57-9d0e-2f6f3b1a9c11")

POOL_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"
FEATURE_PATTERN = POOL_PATTERN
HOLDER_PATTERN = r"^[A-Za-z0-9._:@-]{1,200}$"
MAX_LIMIT = 1_000_000_000


def _printable(text: str) -> str:
    """No control characters (a NUL cannot even be stored in PostgreSQL)."""
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise ValueError("control characters are not allowed")
    return text


Printable = AfterValidator(_printable)

PoolSlug = Annotated[str, StringConstraints(pattern=POOL_PATTERN)]
FeatureSlug = Annotated[str, StringConstraints(pattern=FEATURE_PATTERN)]
HolderId = Annotated[str, StringConstraints(pattern=HOLDER_PATTERN)]


def _webhook_url(url: str) -> str:
    """http(s) with a host, a port that can be connected to and no
    credentials (they would travel in every delivery's request line); where
    the host points is checked before the command is sent, as it needs name
    lookups (infra/webhook_addresses.py)."""
    try:
        parts = urlsplit(url)
        port = parts.port  # raises for a malformed port or one above 65535
    except ValueError as exc:
        raise ValueError(f"not a valid URL: {exc}") from None
    if port == 0:
        raise ValueError("the URL's port must be 1 to 65535")
    if parts.scheme not in ("http", "https"):
        raise ValueError("the URL must start with https:// or http://")
    if not parts.hostname:
        raise ValueError("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise ValueError("the URL may not contain credentials")
    return url


WebhookUrl = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2000),
    Printable,
    AfterValidator(_webhook_url),
]

# Characters that show nothing or reorder what is shown: in a name they make
# look-alikes ("Ac\u200bme") or disguise it (a right-to-left override).
_HIDDEN = frozenset(
    "\u061c\u200b\u200c\u200d\u200e\u200f\u2060\ufeff"
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def _visible(text: str) -> str:
    """No control, zero-width or bidirectional-control characters."""
    if any(ch in _HIDDEN or unicodedata.category(ch) in ("Cc", "Cs") for ch in text):
        raise ValueError(
            "names may not contain control, zero-width or bidirectional "
            "control characters"
        )
    return text


Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_visible),
]
SeatLimit = Annotated[int, Field(ge=0, le=MAX_LIMIT, strict=True)]


def _utc(moment: datetime) -> datetime:
    """Instants are kept in UTC; one that has no UTC form is refused."""
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00+14:00: before year 1 in UTC
        raise ValueError("the instant is out of range") from None


def _iso_text(given: object) -> object:
    """An instant is ISO 8601 text (or a datetime, built in code): a number
    would be read as Unix seconds, which the contract does not offer."""
    if isinstance(given, int | float):
        raise ValueError("an instant is ISO 8601 text with an offset, not a number")
    return given


# An ISO 8601 instant with an offset (a body instant without one is 422), in UTC.
Instant = Annotated[AwareDatetime, BeforeValidator(_iso_text), AfterValidator(_utc)]
Threshold = Annotated[float, Field(gt=0, lt=1)]
LogoUrl = Annotated[str, StringConstraints(max_length=2000), Printable]
Charset = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,39}$")
]

ROLE_PATTERN = POOL_PATTERN
RoleSlug = Annotated[str, StringConstraints(pattern=ROLE_PATTERN)]
Note = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2000),
    Printable,
]
_SPACES = re.compile(r"\s+")


def normalise_name(name: str) -> str:
    """Sibling names compare after NFKC and case folding (fullwidth `Acme`,
    `ACME` and `acme` are one name, so are NFC and NFD spellings), trimmed,
    inner spaces folded. NFKC again after folding: folding can undo a
    composition."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", folded).strip())


def legacy_normalise_name(name: str) -> str:
    """How names compared before NFKC (case folding only): name claims recorded
    then have ids derived from this form (see domain/claim.py)."""
    return _SPACES.sub(" ", name.strip()).casefold()


def normalise_email(email: str) -> str:
    """Emails compare trimmed and lower-cased (commands, persons, claims)."""
    return email.strip().lower()


# Syntax only (email-validator's rules, no DNS lookups); compared lower-cased.
Email = Annotated[
    EmailStr,
    StringConstraints(max_length=254),
    AfterValidator(normalise_email),
]


def derive_id(*parts: object) -> UUID:
    return uuid5(NAMESPACE, "/".join(str(p) for p in parts))


class TenantType(StrEnum):
    STANDARD = "STANDARD"
    CUSTOM = "CUSTOM"


class Edition(StrEnum):
    BASIC = "BASIC"
    PROFESSIONAL = "PROFESSIONAL"
    ENTERPRISE = "ENTERPRISE"


class TenantStatus(StrEnum):
    PROVISIONING = "provisioning"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CLOSED = "closed"


class UsageLevel(StrEnum):
    OK = "ok"
    WARNING = "warning"
    FULL = "full"


MULTI_TENANT = "multi_tenant"
DEFAULT_WARNING_THRESHOLD = 0.8


def level_for(utilization: float, warning_threshold: float) -> UsageLevel:
    if utilization >= 1.0:
        return UsageLevel.FULL
    if utilization >= warning_threshold:
        return UsageLevel.WARNING
    return UsageLevel.OK


def instant(moment: datetime) -> str:
    """The one string form of an instant in state: UTC, whole seconds, so
    stored instants compare correctly as strings."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat()
