"""Invitation: an email invited to a tenant with a role, until it is accepted,
revoked or expires. A pending one reserves a `members` seat."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.common import instant
from domain.errors import InvalidState, InvitationExpired

PENDING, ACCEPTED, REVOKED, EXPIRED = "pending", "accepted", "revoked", "expired"


class Invitation(Aggregate):
    @event("InvitationSent")
    def __init__(self, tenant_id: UUID, email: str, role: str, expires_at: str) -> None:
        self.tenant_id = tenant_id
        self.email = email
        self.role = role
        self.expires_at = expires_at
        self.status = PENDING
        self.member_id: UUID | None = None

    def is_lapsed(self, now: datetime) -> bool:
        """Pending but past its expiry: it no longer reserves anything."""
        return self.status == PENDING and instant(now) >= self.expires_at

    def is_open(self, now: datetime) -> bool:
        return self.status == PENDING and not self.is_lapsed(now)

    def status_at(self, now: datetime) -> str:
        """Expired once past its expiry, whether or not that was recorded."""
        return EXPIRED if self.is_lapsed(now) else self.status

    def check_pending(self, now: datetime) -> None:
        status = self.status_at(now)
        if status == EXPIRED:
            raise InvitationExpired(
                "the invitation has expired", expires_at=self.expires_at
            )
        if status != PENDING:
            raise InvalidState(f"the invitation is {status}", status=status)

    def check_open(self, now: datetime) -> None:
        """Resend and revoke need a pending invitation that has not lapsed."""
        status = self.status_at(now)
        if status != PENDING:
            raise InvalidState(f"the invitation is {status}", status=status)

    def accept(self, member_id: UUID, now: datetime) -> None:
        self.check_pending(now)
        self._accept(member_id)

    @event("InvitationAccepted")
    def _accept(self, member_id: UUID) -> None:
        self.status = ACCEPTED
        self.member_id = member_id

    def resend(self, expires_at: str, now: datetime) -> None:
        self.check_open(now)
        self._resend(expires_at)

    @event("InvitationResent")
    def _resend(self, expires_at: str) -> None:
        self.expires_at = expires_at

    def revoke(self, now: datetime) -> None:
        self.check_open(now)
        self._revoke()

    @event("InvitationRevoked")
    def _revoke(self) -> None:
        self.status = REVOKED

    def expire(self, now: datetime) -> None:
        """Records an expiry that time already brought about."""
        if self.is_lapsed(now):
            self._expire()

    @event("InvitationExpired")
    def _expire(self) -> None:
        self.status = EXPIRED
