"""The `seatledger` command line."""

from __future__ import annotations

import typer
import uvicorn
from rich.console import Console

from infra.bootstrap import bootstrap
from infra.settings import Settings

app = typer.Typer(help="seatledger: the books on tenants, seat pools and licenses.")
console = Console(stderr=True)


@app.callback()
def _commands() -> None:
    """Subcommands below; each reads its configuration from SEATLEDGER_* ."""


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="interface to listen on"),
    port: int = typer.Option(8000, min=1, max=65535, help="TCP port"),
    workers: int = typer.Option(
        1, min=1, max=1, help="uvicorn workers (1: the embedded projector runs here)"
    ),
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


def main() -> None:
    app()


if __name__ == "__main__":
    main()
