"""The `seatledger` command line."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol
from uuid import UUID

import typer
import uvicorn
from rich.console import Console

from infra.bootstrap import Container, bootstrap
from infra.settings import Settings
from projections import members as members_view

app = typer.Typer(
    help="seatledger: the books on tenants, seat pools and licenses.",
    no_args_is_help=True,
)
console = Console(stderr=True)


class _Loop(Protocol):
    def run(self) -> None: ...

    def stop(self) -> None: ...


@app.callback()
def _commands() -> None:
    """Configuration comes from SEATLEDGER_* environment variables."""


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="interface to listen on"),
    port: int = typer.Option(8000, min=1, max=65535, help="TCP port"),
) -> None:
    """Run the HTTP API (with the in-process projector in embedded mode)."""
    from api.app import create_app

    container = bootstrap(Settings())
    if container.generated_key:
        console.print(
            "[bold]Generated operator key[/] (shown once, kept in "
            f"{container.settings.bootstrap_key_file}):\n{container.operator_key}"
        )
    elif not container.settings.bootstrap_key:
        console.print(f"Operator key: see {container.settings.bootstrap_key_file}")
    console.print(f"Console: http://{host}:{port}/console  (API docs: /docs)")
    try:
        uvicorn.run(
            create_app(container),
            host=host,
            port=port,
            log_level="warning",
            access_log=False,
        )
    finally:
        container.close()


def _kafka_container() -> Container:
    container = bootstrap(Settings())
    if container.settings.kafka_bootstrap is None:
        console.print("[red]SEATLEDGER_KAFKA_BOOTSTRAP is not set[/]")
        raise typer.Exit(2)
    container.ensure_topics()
    return container


def _run_until_signalled(container: Container, make: Callable[[], _Loop]) -> None:
    loop = make()

    def on_signal(signum: int, frame: object) -> None:
        loop.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        loop.run()
    finally:
        container.close()


@app.command()
def relay() -> None:
    """Publish stored events to Kafka in order (the transactional outbox)."""
    from consumers.relay import Relay

    c = _kafka_container()
    _run_until_signalled(
        c, lambda: Relay(c.ledger, c.db, c.kafka_producer, c.topics, poll_s=0.005)
    )


@app.command()
def project(
    group: str | None = typer.Option(
        None, help="consumer group id [default: <topic prefix>-projector]"
    ),
) -> None:
    """Build the projections from the Kafka event topic."""
    from consumers.projector import Projector

    c = _kafka_container()
    _run_until_signalled(
        c,
        lambda: Projector(
            c.db,
            lambda: c.kafka_consumer(group or c.topics.projector_group),
            c.kafka_producer,
            c.topics,
            failpoint=c.settings.failpoint,
        ),
    )


@app.command("consume-commands")
def consume_commands(
    group: str | None = typer.Option(
        None, help="consumer group id [default: <topic prefix>-commands]"
    ),
) -> None:
    """Run commands from the Kafka command topic; publish their results."""
    from api.commands import CommandService
    from consumers.commands import CommandConsumer

    c = _kafka_container()
    service = CommandService(c.ledger, c.command_log)
    _run_until_signalled(
        c,
        lambda: CommandConsumer(
            service,
            lambda: c.kafka_consumer(group or c.topics.commands_group),
            c.kafka_producer,
            c.topics,
        ),
    )


@app.command()
def demo(
    console_url: str = typer.Option(
        "http://127.0.0.1:8000/console",
        help="the console's address to print (where `serve` will listen)",
    ),
) -> None:
    """Load the five stories of DESIGN.md (once; a second run adds nothing)
    and print the usage dashboards, the active-users report, each story's
    tenant id and what it shows, and where the console and the key are."""
    from api.commands import CommandService
    from infra.demo import Loader, print_report
    from infra.demo_guide import print_guide

    with _opened() as c:
        loader = Loader(
            CommandService(c.ledger, c.command_log), c.ledger.clock().date()
        )
        tenants = loader.load()
        _catch_up(c)
        print_report(c, tenants, loader.outcomes, Console())
        print_guide(c, tenants, loader.notes, console_url, Console())
        console.print(f"Demo data at position {c.ledger.head()}.")


@app.command("expire-invitations")
def expire_invitations() -> None:
    """Record expiries of lapsed invitations and release the seats of members
    whose end date has passed (for cron; correctness never waits for it)."""
    from infra.events import CommandContext

    ctx = CommandContext(actor="system:expire-invitations")
    with _opened() as c:
        _catch_up(c)
        now = c.ledger.clock()
        with c.db.read() as tx:
            lapsed = members_view.pending_lapsed(tx, now)
            ended = members_view.ended_members(tx, now.date())
        for invitation_id in lapsed:
            c.ledger.expire_invitation(ctx, UUID(invitation_id))
        for tenant_id, member_id in ended:
            c.ledger.end_seat(ctx, UUID(tenant_id), UUID(member_id))
        console.print(
            f"{len(lapsed)} invitation(s) expired; "
            f"{len(ended)} ended member(s) checked."
        )


@app.command()
def verify(
    tenant: list[UUID] = typer.Option(
        [], "--tenant", help="only this tenant and its sub-tenants (repeatable)"
    ),
) -> None:
    """Recompute every hash chain and checkpoint; exit 1 at the first bad
    position (what it is and where), 0 when the history is intact, 2 for an
    unknown tenant."""
    from domain.errors import NotFound
    from infra.audit import run_verify

    with _opened() as c:
        try:
            scope = {str(t) for root in tenant for t in c.ledger.subtree(root)}
        except NotFound:
            console.print("[red]unknown tenant[/]")
            raise typer.Exit(2) from None
        ok = run_verify(c, scope or None, console)
    raise typer.Exit(0 if ok else 1)


@app.command()
def checkpoint() -> None:
    """Record an audit checkpoint now (serve also records them periodically)."""
    from infra.audit import write_checkpoint

    with _opened() as c:
        position = write_checkpoint(c.ledger)
    console.print(
        f"checkpoint at position {position}" if position else "nothing new to check"
    )


@app.command()
def replay(
    projection: list[str] = typer.Option(
        [], "--projection", help="rebuild only this projection (repeatable)"
    ),
    batch: int = typer.Option(1000, min=1, max=100_000, help="events per batch"),
) -> None:
    """Rebuild projections from the event store into fresh tables and swap
    them in atomically; the service keeps serving the old ones meanwhile."""
    from infra.replay import ReplayBusy, UnknownProjection, run_replay
    from infra.replay import select_projections as check_names

    try:
        # Before bootstrap: a typo must not even create the data folder.
        check_names(projection or None)
    except UnknownProjection as exc:
        console.print(f"[red]{exc}[/]", highlight=False)
        raise typer.Exit(2) from None
    with _opened() as c:
        try:
            run_replay(c, projection or None, batch, console)
        except ReplayBusy as exc:
            console.print(f"[red]{exc}[/]", highlight=False)
            raise typer.Exit(1) from None


@app.command()
def export(
    tenant: UUID = typer.Option(..., "--tenant", help="the tenant to export"),
    after: int = typer.Option(0, "--after", min=0, help="only events after this"),
    output: str = typer.Option("-", "--output", "-o", help="file, or - for stdout"),
    include_subtenants: bool = typer.Option(
        False, "--include-subtenants", help="also the events of its sub-tenants"
    ),
) -> None:
    """Write a tenant's events with their hashes as JSON Lines, in log order;
    the summary on stderr names the position to continue from with --after."""
    from infra.export import run_export

    with _opened() as c:
        run_export(c, tenant, after, output, console, include_subtenants)


@contextmanager
def _opened() -> Iterator[Container]:
    """The container for a one-shot command, closed however it ends."""
    c = bootstrap(Settings())
    try:
        yield c
    finally:
        c.close()


def _catch_up(c: Container) -> None:
    """Embedded mode: bring the projections up to the store before reading."""
    if c.embedded_projector:
        c.follower.catch_up()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
