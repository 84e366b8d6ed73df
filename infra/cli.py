"""The `seatledger` command line."""

from __future__ import annotations

import pkgutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol
from uuid import UUID

import typer
from rich.console import Console

from consumers.group_watch import GroupWatch
from infra.bootstrap import Container, bootstrap
from infra.lifecycle import serve_metrics, shutdown_watchdog, stop_on_signals
from infra.settings import Settings
from infra.waiting import Health, Misconfigured, Stopped

app = typer.Typer(
    help="seatledger: the books on tenants, seat pools and licenses.",
    no_args_is_help=True,
)
console = Console(stderr=True)


class _Loop(Protocol):
    def run(self, health: Health | None = None, /, *args: Any) -> None: ...

    def stop(self) -> None: ...


@app.callback()
def _commands() -> None:
    """Configuration comes from SEATLEDGER_* environment variables."""


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="interface to listen on"),
    port: int = typer.Option(8000, min=1, max=65535, help="TCP port"),
    workers: int = typer.Option(
        1, min=1, max=64, help="processes serving the port (each its own bus)"
    ),
) -> None:
    """Run the HTTP API (with the in-process projector in embedded mode)."""
    from infra import server
    from infra.serving import serve as run_server

    settings = Settings()
    if refusal := server.operator_key_problem(settings):
        console.print(f"[red]{refusal}[/]", highlight=False)
        raise typer.Exit(2)
    if workers > 1:
        from infra.serving import serve_workers

        serve_workers(settings, host, port, workers)
        return
    # Before uvicorn installs its own: a SIGTERM while PostgreSQL is awaited
    # ends the wait, and the one uvicorn re-raises after its graceful
    # shutdown lands here instead of killing the process (exit 0).
    container = _container(stop_on_signals(), settings)
    if container.generated_key:
        console.print(
            "[bold]Generated operator key[/] (shown once, kept in "
            f"{container.settings.bootstrap_key_file}):\n{container.operator_key}"
        )
    try:
        run_server(container, web_app(container), host, port)
    finally:
        container.close()


# The HTTP app is the outermost layer: the CLI names it by its entry point,
# as the console script names this module, instead of importing it (nothing
# under infra/ imports api/).
WEB_APP = "api.app:create_app"


def web_app(container: Container) -> Any:
    return pkgutil.resolve_name(WEB_APP)(container)


def _container(stop: threading.Event, settings: Settings | None = None) -> Container:
    """bootstrap() for a long-running process: waits for PostgreSQL, exits 0
    when stopped meanwhile, 2 with what to change when waiting cannot help."""
    try:
        return bootstrap(settings or Settings(), stop=stop)
    except Stopped:
        raise typer.Exit(0) from None
    except Misconfigured as exc:
        console.print(f"[red]{exc}[/]", highlight=False)
        raise typer.Exit(2) from None


def _kafka_container() -> Container:
    stop = stop_on_signals()
    container = _container(stop)
    if container.settings.kafka_bootstrap is None:
        console.print("[red]SEATLEDGER_KAFKA_BOOTSTRAP is not set[/]")
        raise typer.Exit(2)
    serve_metrics(container)
    try:
        container.ensure_topics()
    except Stopped:
        container.close()
        raise typer.Exit(0) from None
    return container


def _run_until_signalled(
    container: Container, make: Callable[[], _Loop], consumer: str | None = None
) -> None:
    """Runs the loop until SIGTERM/SIGINT; the loop then finishes or abandons
    its batch in flight (each says which guarantee it keeps) and the process
    exits 0, within the shutdown grace at the latest. A Kafka consumer
    (named) is watched for a stuck group membership."""
    loop = make()
    stopper = threading.Thread(
        target=_stop_when_signalled, args=(container, loop), daemon=True
    )
    stopper.start()
    try:
        if consumer is None:
            loop.run(container.health)
        else:
            loop.run(container.health, _group_watch(container, consumer))
    finally:
        container.close()


def _group_watch(c: Container, name: str) -> GroupWatch:
    return GroupWatch(name, c.settings.stuck_group_s, c.metrics)


def _stop_when_signalled(container: Container, loop: _Loop) -> None:
    container.stop.wait()
    loop.stop()
    shutdown_watchdog(container.settings.shutdown_grace_s)


@app.command()
def relay() -> None:
    """Publish stored events to Kafka in order (the transactional outbox)."""
    from consumers.relay import Relay

    c = _kafka_container()
    _run_until_signalled(
        c, lambda: Relay(c.log, c.db, c.kafka_producer, c.topics, poll_s=0.005)
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
        consumer="projector",
    )


@app.command("consume-commands")
def consume_commands(
    group: str | None = typer.Option(
        None, help="consumer group id [default: <topic prefix>-commands]"
    ),
) -> None:
    """Run commands from the Kafka command topic; publish their results."""
    from application.envelopes import CommandGateway
    from consumers.commands import CommandConsumer

    c = _kafka_container()
    _run_until_signalled(
        c,
        lambda: CommandConsumer(
            CommandGateway(c.bus),
            c.authenticator.by_key_id,
            lambda: c.kafka_consumer(group or c.topics.commands_group),
            c.kafka_producer,
            c.topics,
        ),
        consumer="commands",
    )


@app.command("send-webhooks")
def send_webhooks() -> None:
    """Deliver signed webhooks: follow the event store's log, record a
    delivery per matching endpoint, send them with retries (one process)."""
    c = _container(stop_on_signals())
    serve_metrics(c)
    _run_until_signalled(c, lambda: c.webhooks)


@app.command()
def demo(
    console_url: str = typer.Option(
        "http://127.0.0.1:8000/console",
        help="the console's address to print (where `serve` will listen)",
    ),
) -> None:
    """Load the five stories of docs/design.md (once; a second run adds nothing)
    and print the usage dashboards, the active-users report, each story's
    tenant id and what it shows, and where the console and the key are."""
    from application.envelopes import CommandGateway
    from infra.demo import Loader, print_report
    from infra.demo_guide import print_guide

    with _opened() as c:
        loader = Loader(CommandGateway(c.bus), c.clock().date())
        tenants = loader.load()
        _catch_up(c)
        print_report(c, tenants, loader.outcomes, Console())
        print_guide(c, tenants, loader.notes, console_url, Console())
        console.print(f"Demo data at position {c.log.head()}.")


@app.command("expire-invitations")
def expire_invitations() -> None:
    """Record expiries of lapsed invitations and release the seats of members
    whose end date has passed (for cron; correctness never waits for it)."""
    from application.housekeeping import expire_lapsed

    with _opened() as c:
        _catch_up(c)
        lapsed, ended = expire_lapsed(c.bus, c.db, c.clock)
        console.print(
            f"{lapsed} invitation(s) expired; {ended} ended member(s) checked."
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
            scope = {str(t) for root in tenant for t in c.reads.scope.subtree(root)}
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
        position = write_checkpoint(c.log, c.store, c.bus)
    console.print(
        f"checkpoint at position {position}" if position else "nothing new to check"
    )


@app.command("prune-receipts")
def prune_receipts() -> None:
    """Delete the command receipts older than SEATLEDGER_IDEMPOTENCY_TTL_H
    (serve does so every hour): a repeat of their commands runs again."""
    from infra.receipts import prune_expired

    with _opened() as c:
        ttl_h = c.settings.idempotency_ttl_h
        pruned = prune_expired(c.db, c.clock(), ttl_h)
    console.print(f"{pruned} receipt(s) older than {ttl_h:g} hours pruned.")


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
