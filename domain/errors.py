"""Named rule violations. Each carries the API error code and what explains it."""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    code: ClassVar[str] = "domain_error"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(DomainError):
    code = "not_found"


class LicenseRequired(DomainError):
    code = "license_required"


class AlreadyExists(DomainError):
    code = "already_exists"


class AlreadyAssigned(DomainError):
    code = "already_assigned"


class InvalidState(DomainError):
    code = "invalid_state"


class QuotaExhausted(DomainError):
    code = "quota_exhausted"


class LimitBelowUsage(DomainError):
    code = "limit_below_usage"


class Forbidden(DomainError):
    code = "forbidden"


class ValidationFailed(DomainError):
    code = "validation_error"


class ConcurrencyConflict(DomainError):
    code = "concurrency_conflict"


class AdminRequired(DomainError):
    code = "admin_required"


class InvitationExpired(DomainError):
    code = "invitation_expired"


class LastAdmin(DomainError):
    code = "last_admin"


class AlreadyMember(DomainError):
    code = "already_member"


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"


def _codes(cls: type[DomainError]) -> dict[str, type[DomainError]]:
    found = {cls.code: cls}
    for sub in cls.__subclasses__():
        found.update(_codes(sub))
    return found


def refusal(recorded: dict[str, Any]) -> DomainError:
    """A refusal as recorded (code, detail, extra), raised again alike."""
    cls = _codes(DomainError).get(str(recorded.get("code")), DomainError)
    error = cls(str(recorded.get("detail", "")), **dict(recorded.get("extra") or {}))
    if cls is DomainError:
        error.code = str(recorded.get("code"))  # type: ignore[misc]
    return error
