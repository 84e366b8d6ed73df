"""Member: a person's membership of one tenant, with role, status and dates.

A member counts as an active user on a day D when active and its end date is
empty or not before D: future starters count, passive and ended members don't.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidState, ValidationFailed

ADMIN = "admin"
ACTIVE, PASSIVE, REMOVED = "active", "passive", "removed"


def verdict(
    status: str, start_date: str | None, end_date: str | None, day: date
) -> tuple[bool, str]:
    """The active-user rule: (counts on `day`, why). Future starters count;
    passive and ended members do not."""
    today = day.isoformat()
    if status != ACTIVE:
        return False, "passive"
    if end_date is not None and end_date < today:
        return False, "ended"
    if start_date is not None and start_date > today:
        return True, "future_starter"
    return True, "active"


def check_dates(start_date: str | None, end_date: str | None) -> None:
    if start_date and end_date and end_date < start_date:
        raise ValidationFailed("end_date cannot be before start_date", field="end_date")


class Member(Aggregate):
    @event("MemberAdded")
    def __init__(
        self,
        tenant_id: UUID,
        person_id: UUID,
        email: str,
        display_name: str | None,
        role: str,
        start_date: str | None,
        end_date: str | None,
    ) -> None:
        self.tenant_id = tenant_id
        self.person_id = person_id
        self.email = email
        self.display_name = display_name
        self.role = role
        self.status = ACTIVE
        self.start_date = start_date
        self.end_date = end_date

    @property
    def is_admin(self) -> bool:
        """An admin who counts for `admin_count` and `last_admin`."""
        return self.role == ADMIN and self.status == ACTIVE

    def counts_on(self, day: date) -> bool:
        return verdict(self.status, self.start_date, self.end_date, day)[0]

    def reason_on(self, day: date) -> str:
        return verdict(self.status, self.start_date, self.end_date, day)[1]

    def check_present(self) -> None:
        if self.status == REMOVED:
            raise InvalidState("the member was removed", status=self.status)

    def change_role(self, role: str) -> None:
        self.check_present()
        if role != self.role:
            self._change_role(role)

    @event("MemberRoleChanged")
    def _change_role(self, role: str) -> None:
        self.role = role

    def deactivate(self) -> None:
        self.check_present()
        if self.status == ACTIVE:
            self._deactivate()

    @event("MemberDeactivated")
    def _deactivate(self) -> None:
        self.status = PASSIVE

    def reactivate(self) -> None:
        self.check_present()
        if self.status == PASSIVE:
            self._reactivate()

    @event("MemberReactivated")
    def _reactivate(self) -> None:
        self.status = ACTIVE

    def change_dates(self, start_date: str | None, end_date: str | None) -> None:
        self.check_present()
        check_dates(start_date, end_date)
        if (start_date, end_date) != (self.start_date, self.end_date):
            self._change_dates(start_date, end_date)

    @event("MemberDatesChanged")
    def _change_dates(self, start_date: str | None, end_date: str | None) -> None:
        self.start_date = start_date
        self.end_date = end_date

    def remove(self) -> None:
        self.check_present()
        self._remove()

    @event("MemberRemoved")
    def _remove(self) -> None:
        self.status = REMOVED
