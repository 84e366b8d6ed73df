"""The measuring loop of the thread-driven cells, and what a figure needs
beside it: percentiles, the machine's load, CPU seconds per process."""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

# One operation: assign the caller's seq-th holder; None on success, else an
# error code (the API's `code`, or an exception's class name).
Op = Callable[[int], str | None]


@dataclass
class Cell:
    """One figure: a path, its callers and pools, its rate and latencies."""

    path: str
    callers: int
    store: str = "postgres"
    ok: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    p99_ms: float | None = None  # given by the load generator (wrk)
    p50_ms: float | None = None
    errors: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)  # seconds per process
    load: float = 0.0  # 1-minute load average when the cell ended
    note: str = ""

    @property
    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float | None:
        given = self.p99_ms if q == 0.99 else self.p50_ms if q == 0.5 else None
        if given is not None:
            return given
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000

    def cpu_ms_per_op(self) -> dict[str, float]:
        if not self.ok:
            return {}
        return {k: 1000 * v / self.ok for k, v in self.cpu.items()}


def load1() -> float:
    return os.getloadavg()[0]


def run_cell(cell: Cell, ops: list[Op], warmup: float, seconds: float) -> Cell:
    """Runs one op per caller thread: warm-up, then the measuring window."""
    window: dict[str, float] = {}

    def set_window() -> None:
        window["from"] = time.perf_counter() + warmup
        window["to"] = window["from"] + seconds

    barrier = threading.Barrier(len(ops), action=set_window)
    lock = threading.Lock()

    def caller(op: Op) -> None:
        latencies: list[float] = []
        errors: Counter[str] = Counter()
        examples: dict[str, str] = {}
        seq = 0
        barrier.wait()
        begin, end = window["from"], window["to"]
        while True:
            started = time.perf_counter()
            if started >= end:
                break
            try:
                code = op(seq)
            except Exception as exc:  # counted, never fatal to the run
                code = type(exc).__name__
                examples.setdefault(code, str(exc)[:300])
            seq += 1
            done = time.perf_counter()
            if started >= begin and done <= end:
                if code is None:
                    latencies.append(done - started)
                else:
                    errors[code] += 1
        with lock:
            cell.ok += len(latencies)
            cell.latencies.extend(latencies)
            cell.errors.update(errors)
            for code, text in examples.items():
                cell.examples.setdefault(code, text)

    threads = [threading.Thread(target=caller, args=(op,)) for op in ops]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    cell.seconds = seconds
    cell.load = load1()
    return cell


class CpuMeter:
    """CPU seconds (user + system) that processes spend, read from /proc:
    on a shared machine a rate moves with the neighbours' load, the CPU an
    operation costs much less."""

    def __init__(self, pids: Callable[[], dict[str, list[int]]]) -> None:
        self.pids = pids
        self._start: dict[str, float] = {}

    def start(self) -> None:
        self._start = self._read()

    def stop(self) -> dict[str, float]:
        end = self._read()
        return {k: end[k] - self._start.get(k, 0.0) for k in end}

    def _read(self) -> dict[str, float]:
        tick = os.sysconf("SC_CLK_TCK")
        out: dict[str, float] = {}
        for name, pids in self.pids().items():
            total = 0.0
            for pid in pids:
                try:
                    with open(f"/proc/{pid}/stat") as f:
                        fields = f.read().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                # utime, stime, and those of reaped children (a backend
                # that ended during the cell)
                total += sum(int(x) for x in fields[11:15]) / tick
            out[name] = total
        return out


def children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def postgres_pids(datadir: str) -> list[int]:
    """The postmaster of a data directory and its backends (which come and
    go: read at the start and at the end of a cell)."""
    try:
        with open(os.path.join(datadir, "postmaster.pid")) as f:
            postmaster = int(f.readline())
    except (OSError, ValueError):
        return []
    return [postmaster, *children(postmaster)]
