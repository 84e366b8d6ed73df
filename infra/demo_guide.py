"""What a person needs after `seatledger demo`: each story's tenant and id,
what the story showed, story 3's license orders and their effect, and where
to look next (the console's address, the operator key's location)."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from infra.bootstrap import Container
from projections import orders as orders_view
from projections import usage as usage_view

# Story number -> the demo tenant that tells it, and its point.
STORIES = {
    1: (
        "Nordwind Partner",
        "a partner with `multi_tenant` hands quotas to sub-tenants",
    ),
    2: (
        "Nordwind Süd (CUSTOM)",
        "a CUSTOM sub-tenant handed over once it has an admin",
    ),
    3: ("Kunde Alpha", "orders more licenses; active users count future starters"),
    4: ("Studio Workspace", "a workspace of 5: a known person joins, others pending"),
    5: ("Beta Logistik", "expenses seats: 80 % warns, 100 % pauses adding"),
}


def print_guide(
    c: Container,
    tenants: dict[str, str],
    notes: dict[int, list[str]],
    console_url: str,
    console: Console,
) -> None:
    stories = Table(title="The five stories (docs/design.md)", show_lines=True)
    for column in ("story", "tenant", "tenant_id", "what it shows"):
        stories.add_column(column, overflow="fold")
    for number, (name, point) in STORIES.items():
        lines = [point, *(f"- {note}" for note in notes.get(number, []))]
        stories.add_row(str(number), name, tenants[name], "\n".join(lines))
    console.print(stories)
    console.print(_orders(c, tenants[STORIES[3][0]]))
    console.print(f"\nOpen the console: [bold]{console_url}[/]")
    console.print(f"Sign in with the operator key: {_key_location(c)}")


def _orders(c: Container, tenant_id: str) -> Table:
    table = Table(title="Story 3: Kunde Alpha's license orders and their effect")
    for column in ("pool", "quantity", "status", "reason", "note"):
        table.add_column(column)
    with c.db.read() as tx:
        orders = orders_view.orders_of(tx, tenant_id, None, None, 100)
        pools = {p["pool"]: p for p in usage_view.pools_of(tx, tenant_id, c.clock())}
    for order in sorted(orders, key=lambda o: str(o["placed_at"])):
        table.add_row(
            order["pool"],
            f"+{order['quantity']}",
            order["status"],
            order["reason"] or "",
            order["note"] or "",
        )
    members = pools.get("members")
    if members is not None:
        in_use = members["used"] + members["reserved"] + members["allocated"]
        table.caption = (
            f"members pool now: limit {members['limit']} (3 contracted + 3 "
            f"approved), {in_use} in use"
        )
    return table


def _key_location(c: Container) -> str:
    if c.settings.bootstrap_key:
        return "the value of SEATLEDGER_BOOTSTRAP_KEY"
    return f"cat {c.settings.bootstrap_key_file}"
