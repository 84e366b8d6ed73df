"""Tamper evidence: the hash chains over the stored events, and checkpoints.

(Being written: the interface below is what the API and CLI call.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

    from infra.bootstrap import Container
    from infra.usecases.base import LedgerBase


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    checked: int
    head_hash: str | None
    first_bad_position: int | None = None
    reason: str | None = None


def verify(ledger: LedgerBase, tenants: set[str] | None = None) -> VerifyReport:
    """Recomputes the chains over the whole log (only events of `tenants`
    count and are checked when given; None means everything)."""
    raise NotImplementedError


def write_checkpoint(ledger: LedgerBase) -> int | None:
    raise NotImplementedError


def run_verify(c: Container, tenants: set[str] | None, console: Console) -> bool:
    raise NotImplementedError
