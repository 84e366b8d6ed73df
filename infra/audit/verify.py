"""`verify` and `seatledger verify`: a pass over the whole log."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import structlog

from infra.audit.walk import Tampered, VerifyReport, Walk, stream

if TYPE_CHECKING:
    from rich.console import Console

    from application.ports import EventLog
    from infra.bootstrap import Container

log = structlog.get_logger(__name__)


def verify(
    events: EventLog,
    tenants: set[str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> VerifyReport:
    """Recomputes the chains over the whole log. With `tenants`, only their
    events (and the checkpoints' entries for them) are checked."""
    walk = Walk(tenants)
    try:
        for n in stream(events):
            try:
                walk.step(n)
            except (TypeError, ValueError, KeyError, AttributeError) as exc:
                # A shape no genuine event has: tampering, never a crash.
                raise Tampered(n.id, f"the stored event is malformed ({exc})") from exc
            if progress is not None:
                progress(n.id)
    except Tampered as bad:
        log.warning(
            "audit verification failed", position=bad.position, reason=bad.reason
        )
        return walk.report(bad)
    return walk.report()


def run_verify(c: Container, tenants: set[str] | None, console: Console) -> bool:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    head = c.log.head()
    started = time.monotonic()
    with Progress(
        TextColumn("verifying"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("verify", total=head)
        report = verify(c.log, tenants, lambda p: bar.update(task, completed=p))
    seconds = time.monotonic() - started
    if report.ok:
        console.print(
            f"[green]ok[/]: {report.checked} events checked in {seconds:.1f}s; "
            f"head hash {report.head_hash or '(no checkpoint yet)'}; "
            f"{report.since_checkpoint} event(s) after the latest checkpoint"
        )
    else:
        console.print(
            f"[red]TAMPERED[/] at position {report.first_bad_position}: "
            f"{report.reason} ({report.checked} events checked before it)"
        )
    return report.ok
