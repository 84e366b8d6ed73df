"""Members and invitations of each tenant, for lists and the active-users
report. Whether a member counts, or an invitation has lapsed, is judged when
read, for the day or moment the reader gives."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from domain.common import instant
from domain.member import verdict
from projections.envelope import Envelope
from projections.sql import Tx

NAME = "members"

TABLES = [
    """CREATE TABLE IF NOT EXISTS proj_members (
        member_id TEXT PRIMARY KEY,
        tenant_id TEXT NOT NULL,
        email TEXT NOT NULL,
        display_name TEXT,
        role TEXT NOT NULL,
        status TEXT NOT NULL,
        start_date TEXT,
        end_date TEXT,
        position BIGINT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS proj_members_tenant ON proj_members (tenant_id)",
    """CREATE TABLE IF NOT EXISTS proj_invitations (
        invitation_id TEXT PRIMARY KEY,
        tenant_id TEXT NOT NULL,
        email TEXT NOT NULL,
        role TEXT NOT NULL,
        status TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        member_id TEXT,
        created_at TEXT NOT NULL,
        position BIGINT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS proj_invitations_tenant"
    " ON proj_invitations (tenant_id)",
]

_MEMBER_STATUS = {
    "MemberDeactivated": "passive",
    "MemberReactivated": "active",
    "MemberRemoved": "removed",
}
_INVITATION_STATUS = {"InvitationRevoked": "revoked", "InvitationExpired": "expired"}


def apply(tx: Tx, e: Envelope) -> None:
    if e.aggregate_type == "Member":
        _member(tx, e, e.payload)
    elif e.aggregate_type == "Invitation":
        _invitation(tx, e, e.payload)


def _member(tx: Tx, e: Envelope, p: dict[str, Any]) -> None:
    if e.type == "MemberAdded":
        tx.execute(
            "INSERT INTO proj_members VALUES (?,?,?,?,?,?,?,?,?)"
            " ON CONFLICT (member_id) DO NOTHING",
            (
                e.aggregate_id,
                p["tenant_id"],
                p["email"],
                p.get("display_name"),
                p["role"],
                "active",
                p.get("start_date"),
                p.get("end_date"),
                e.position,
            ),
        )
    elif e.type == "MemberRoleChanged":
        _update(tx, "proj_members", "member_id", e, role=p["role"])
    elif e.type == "MemberDatesChanged":
        _update(
            tx,
            "proj_members",
            "member_id",
            e,
            start_date=p.get("start_date"),
            end_date=p.get("end_date"),
        )
    elif e.type in _MEMBER_STATUS:
        _update(tx, "proj_members", "member_id", e, status=_MEMBER_STATUS[e.type])


def _invitation(tx: Tx, e: Envelope, p: dict[str, Any]) -> None:
    if e.type == "InvitationSent":
        tx.execute(
            "INSERT INTO proj_invitations VALUES (?,?,?,?,?,?,?,?,?)"
            " ON CONFLICT (invitation_id) DO NOTHING",
            (
                e.aggregate_id,
                p["tenant_id"],
                p["email"],
                p["role"],
                "pending",
                p["expires_at"],
                None,
                e.occurred_at,
                e.position,
            ),
        )
    elif e.type == "InvitationAccepted":
        key = "invitation_id"
        _update(
            tx, "proj_invitations", key, e, status="accepted", member_id=p["member_id"]
        )
    elif e.type == "InvitationResent":
        _update(tx, "proj_invitations", "invitation_id", e, expires_at=p["expires_at"])
    elif e.type in _INVITATION_STATUS:
        status = _INVITATION_STATUS[e.type]
        _update(tx, "proj_invitations", "invitation_id", e, status=status)


def _update(tx: Tx, table: str, key: str, e: Envelope, **values: Any) -> None:
    # Table and column names are this module's constants, never input.
    assignments = ", ".join(f"{column} = ?" for column in values)
    tx.execute(
        f"UPDATE {table} SET {assignments}, position = ? WHERE {key} = ?",
        (*values.values(), e.position, e.aggregate_id),
    )


MEMBER_KEYS = (
    "member_id",
    "tenant_id",
    "email",
    "display_name",
    "role",
    "status",
    "start_date",
    "end_date",
    "position",
)


def members_of(
    tx: Tx, tenant_ids: list[str], status: str | None, after: str | None, limit: int
) -> list[dict[str, Any]]:
    marks = ",".join("?" for _ in tenant_ids)
    columns = ", ".join(MEMBER_KEYS)
    sql = f"SELECT {columns} FROM proj_members WHERE tenant_id IN ({marks})"
    params: list[Any] = list(tenant_ids)
    if status is not None:
        sql += " AND status = ?"
        params.append(status)
    sql += " AND member_id > ? ORDER BY member_id LIMIT ?"
    params += [after or "", limit]
    return [dict(zip(MEMBER_KEYS, r, strict=True)) for r in tx.execute(sql, params)]


def judge(member: dict[str, Any], day: date) -> tuple[bool, str]:
    """(counts as an active user on `day`, why), for a projected member."""
    return verdict(member["status"], member["start_date"], member["end_date"], day)


INVITATION_KEYS = (
    "invitation_id",
    "tenant_id",
    "email",
    "role",
    "status",
    "expires_at",
    "member_id",
    "created_at",
    "position",
)


def invitations_of(
    tx: Tx,
    tenant_id: str,
    status: str | None,
    now: datetime,
    after: str | None,
    limit: int,
) -> list[dict[str, Any]]:
    """A pending invitation past its expiry reads as expired."""
    moment = instant(now)
    effective = (
        "CASE WHEN status = 'pending' AND expires_at <= ? THEN 'expired'"
        " ELSE status END"
    )
    columns = ", ".join(k if k != "status" else effective for k in INVITATION_KEYS)
    sql = f"SELECT {columns} FROM proj_invitations WHERE tenant_id = ?"
    params: list[Any] = [moment, tenant_id]
    if status is not None:
        sql += f" AND {effective} = ?"
        params += [moment, status]
    sql += " AND invitation_id > ? ORDER BY invitation_id LIMIT ?"
    params += [after or "", limit]
    return [dict(zip(INVITATION_KEYS, r, strict=True)) for r in tx.execute(sql, params)]


def pending_lapsed(tx: Tx, now: datetime) -> list[str]:
    """Invitations whose expiry passed but is not recorded yet (for cron)."""
    rows = tx.execute(
        "SELECT invitation_id FROM proj_invitations"
        " WHERE status = 'pending' AND expires_at <= ?",
        (instant(now),),
    )
    return [r[0] for r in rows]


def ended_members(tx: Tx, day: date) -> list[tuple[str, str]]:
    """(tenant, member) of active members whose end date has passed."""
    rows = tx.execute(
        "SELECT tenant_id, member_id FROM proj_members"
        " WHERE status = 'active' AND end_date IS NOT NULL AND end_date < ?",
        (day.isoformat(),),
    )
    return [(r[0], r[1]) for r in rows]
