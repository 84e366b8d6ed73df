"""`seatledger export`: one tenant's events as JSON Lines, for auditors.

A tenant's events are those whose envelope names it as `tenant_id` (the owner
recorded at save time). A sub-tenant's events name the sub-tenant, so they are
left out unless asked for; the parent's side of an allocation
(`SeatAllocatedToChild`) is the parent's own event and is always in.

Each line is the envelope plus `stored`: the event's topic and its state as
stored, which is what its hash covers.

The log is read in batches up to the head seen at the start, never all at
once, so memory stays flat and the summary names a position that bounds
exactly what was read: `--after <that position>` continues without a gap or
an overlap.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING
from uuid import UUID

import typer
from rich.progress import Progress

from domain.errors import NotFound

if TYPE_CHECKING:
    from eventsourcing.persistence import Notification
    from rich.console import Console

    from application.queries.scope import Scope
    from infra.bootstrap import Container
    from infra.eventstore import Log

BATCH = 1000
STDOUT = "-"
Advance = Callable[[int], None]


def run_export(
    c: Container,
    tenant: UUID,
    after: int,
    output: str,
    console: Console,
    include_subtenants: bool = False,
) -> None:
    """Exit code 2 (and no file) for an unknown tenant or an unusable output."""
    tenants = _tenants(c.reads.scope, tenant, include_subtenants, console)
    if output != STDOUT and not Path(output).parent.is_dir():
        console.print(f"[red]no such directory for --output: {output}[/]")
        raise typer.Exit(2)
    head = c.log.head()
    try:
        with _sink(output) as out, _progress(console, after, head) as advance:
            written, last = _write(c.log, tenants, after, head, out, advance)
    except BrokenPipeError:
        # The reader of stdout stopped (`| head`): not an export to continue.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        console.print("[red]stdout closed before the export was complete[/]")
        raise typer.Exit(1) from None
    _summary(console, tenant, written, last, after, head, output)


def _tenants(scope: Scope, root: UUID, subtree: bool, console: Console) -> set[str]:
    try:
        scope.existing(root)
    except NotFound:
        console.print(f"[red]unknown tenant {root}[/]")
        raise typer.Exit(2) from None
    return {str(t) for t in scope.subtree(root)} if subtree else {str(root)}


def _write(
    log: Log,
    tenants: set[str],
    after: int,
    head: int,
    out: IO[bytes],
    advance: Advance,
) -> tuple[int, int | None]:
    """Returns how many events were written and the position of the last."""
    written, last = 0, None
    for notification in _notifications(log, after, head, advance):
        envelope = log.envelope(notification)
        if envelope.tenant_id not in tenants:
            continue
        # With the event as stored, an auditor recomputes every hash from the
        # file alone (the recipe is in the README).
        stored = {"topic": notification.topic, "state": json.loads(notification.state)}
        line = json.dumps(envelope.to_dict() | {"stored": stored}, ensure_ascii=False)
        out.write(line.encode() + b"\n")
        written, last = written + 1, envelope.position
    return written, last


def _notifications(
    log: Log, after: int, head: int, advance: Advance
) -> Iterator[Notification]:
    position = after
    for batch in log.read(after, head, BATCH):
        yield from batch
        advance(batch[-1].id - position)
        position = batch[-1].id


@contextmanager
def _progress(console: Console, after: int, head: int) -> Iterator[Advance]:
    # On stderr, and transient: the summary is what stays.
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("exporting", total=max(head - after, 0))
        yield lambda n: progress.advance(task, n)


@contextmanager
def _sink(output: str) -> Iterator[IO[bytes]]:
    if output == STDOUT:
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    # Atomic: a reader sees the previous file or the whole export, never a
    # part; a failed export leaves nothing behind.
    target = Path(output)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)


def _fsync_dir(folder: Path) -> None:
    # The rename itself survives a crash only once the folder is synced.
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _summary(
    console: Console,
    tenant: UUID,
    written: int,
    last: int | None,
    after: int,
    head: int,
    output: str,
) -> None:
    where = "stdout" if output == STDOUT else output
    through = max(head, after)
    last_note = f"last at position {last}" if last is not None else "none found"
    console.print(
        f"exported {written} event(s) of tenant {tenant} to {where} "
        f"({last_note}); log read through position {through}: "
        f"continue with --after {through}",
        soft_wrap=True,  # one line, for scripts that pick the position up
    )
