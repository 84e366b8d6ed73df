# ruff: noqa: RUF001  (the multiplication sign of the report)
"""The assign_seat report: every figure beside its baseline, issue 10's
target and the figure the issue measured before ("before")."""

from __future__ import annotations

import argparse
import os
import sys

from rich.console import Console
from rich.table import Table

from bench.measure import Cell

BASELINE = {"postgres": "plain SQL", "sqlite": "plain SQL (sqlite3)"}
# (store, path prefix, callers) -> the figure: "ops/s (÷ plain SQL)"
BEFORE = {
    ("postgres fast", "plain SQL", 1): "1,049",
    ("postgres fast", "plain SQL", 8): "3,597",
    ("postgres fast", "in-process", 1): "184 (0.18)",
    ("postgres fast", "in-process", 8): "240 (0.07)",
    ("postgres fast", "HTTP", 1): "128 (0.12), p99 20",
    ("postgres fast", "HTTP", 8): "182 (0.05), p99 141",
    ("postgres durable", "plain SQL", 8): "2,746",
    ("postgres durable", "HTTP", 8): "143 (0.05)",
}
POOL_SIZE_TARGET = 1.2


def target(cell: Cell, ratio: float | None) -> tuple[str, str]:
    """The target's text and whether it is met ("" when none applies)."""
    if not cell.store.startswith("postgres") or ratio is None:
        return "", ""
    if cell.path == "in-process":
        want = 0.8 if cell.callers == 1 else 1.0
        return f"≥ {want}×", _yes(ratio >= want)
    if cell.path.startswith("HTTP") and cell.callers == 8:
        p99 = cell.percentile(0.99)
        met = ratio >= 0.3 and cell.rate >= 1000 and p99 is not None and p99 <= 50
        return "≥ 0.3×, ≥ 1,000/s, p99 ≤ 50", _yes(met)
    return "", ""


def _yes(met: bool) -> str:
    return "[green]yes[/]" if met else "[red]no[/]"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _cpu(cell: Cell) -> str:
    per = cell.cpu_ms_per_op()
    short = {"bench process": "bench", "server": "srv", "postgres": "pg"}
    return " ".join(f"{short.get(k, k)} {v:.2f}" for k, v in per.items() if v > 0)


def tables(cells: list[Cell], console: Console) -> None:
    for store in dict.fromkeys(c.store for c in cells):
        group = [c for c in cells if c.store == store and "holders" not in c.path]
        base_name = BASELINE[store.split()[0]]
        base = {c.callers: c.rate for c in group if c.path == base_name}
        table = Table(title=f"AssignSeat, {store}", title_justify="left")
        for column in (
            "path", "callers", "ops/s", "p50 ms", "p99 ms", f"÷ {base_name}",
            "target", "met", "before (issue)", "CPU ms/op", "load", "errors / note",
        ):  # fmt: skip
            table.add_column(column, justify="left" if column == "path" else "right")
        for c in group:
            b = base.get(c.callers)
            ratio = c.rate / b if b else None
            want, met = target(c, ratio)
            key = (store, c.path.split(" (")[0].split(",")[0], c.callers)
            if "pgbench" in c.path:
                key = ("", "", 0)
            errors = ", ".join(f"{k}: {v}" for k, v in c.errors.most_common())
            table.add_row(
                c.path, str(c.callers), f"{c.rate:,.0f}",
                _ms(c.percentile(0.5)), _ms(c.percentile(0.99)),
                "-" if ratio is None else f"{ratio:.2f}", want, met,
                BEFORE.get(key, ""), _cpu(c), f"{c.load:.1f}",
                "; ".join(x for x in (errors, c.note) if x),
            )  # fmt: skip
        console.print(table)
        pool_size(cells, store, console)
    console.print(
        "÷: ops/s over the baseline's with as many callers, same run, same "
        "server. CPU ms/op: CPU seconds per successful op of the bench process "
        "(in-process: the bus runs there), the HTTP server (srv) and PostgreSQL "
        "(pg). load: 1-minute load average when the cell ended (2 cores, shared).",
        highlight=False,
    )


def pool_size(cells: list[Cell], store: str, console: Console) -> None:
    sized = [c for c in cells if c.store == store and "holders" in c.path]
    if len(sized) != 2:
        return
    small, big = sized
    wall = small.rate / big.rate if big.rate else float("inf")
    cpu_small = small.cpu_ms_per_op().get("bench process", 0)
    cpu_big = big.cpu_ms_per_op().get("bench process", 0)
    cpu = cpu_big / cpu_small if cpu_small else float("inf")
    met = _yes(wall <= POOL_SIZE_TARGET)
    console.print(
        f"pool-size cell, 1 caller: {small.path}: {small.rate:,.0f}/s "
        f"(p99 {_ms(small.percentile(0.99))} ms, CPU {cpu_small:.2f} ms/op); "
        f"{big.path}: {big.rate:,.0f}/s (p99 {_ms(big.percentile(0.99))} ms, "
        f"CPU {cpu_big:.2f} ms/op). Cost at 20,000 ÷ at 100: {wall:.2f} by time, "
        f"{cpu:.2f} by CPU; target ≤ {POOL_SIZE_TARGET}: {met}",
        highlight=False,
    )


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def machine(args: argparse.Namespace) -> str:
    return (
        f"nproc {len(os.sched_getaffinity(0))}  |  Python {sys.version.split()[0]}"
        f"  |  {args.warmup:g} s warm-up + {args.seconds:g} s per cell  |  "
        f"serve workers {args.workers}  |  {load()}"
    )
