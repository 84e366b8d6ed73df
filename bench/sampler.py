"""A sampling profiler of every thread of this process, stdlib only.

cProfile sees only the thread that enables it, and the bus decides and saves
on its committer thread, the server on uvicorn's loop and worker threads: so
this samples `sys._current_frames()` every `interval` seconds and counts, per
thread name, the functions on top of each stack (self) and anywhere on it
(inclusive). Cheap enough to leave on for a benchmark cell (~1-3 %).

    with Sampler() as s: ...; print(s.report())

`python -m bench.sampler OUT -- -m infra.cli serve ...` runs a module under
it and writes the report to OUT when the process ends (SIGTERM included).
"""

from __future__ import annotations

import atexit
import runpy
import signal
import sys
import threading
import time
from collections import Counter
from types import FrameType
from typing import Any


def _where(frame: FrameType) -> str:
    code = frame.f_code
    path = code.co_filename
    for cut in ("/site-packages/", "/work/wt/", "/lib/python3.11/"):
        if cut in path:
            path = path.split(cut, 1)[1]
    return f"{path}:{code.co_firstlineno}({code.co_name})"


class Sampler:
    def __init__(self, interval: float = 0.001, skip_idle: bool = True) -> None:
        self.interval = interval
        self.skip_idle = skip_idle
        self.samples: Counter[str] = Counter()
        self.own: dict[str, Counter[str]] = {}
        self.total: dict[str, Counter[str]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sampler", daemon=True)

    def __enter__(self) -> Sampler:
        # A thread running Python keeps the GIL for the switch interval (5 ms):
        # without a shorter one, samples would favour threads blocked in I/O.
        sys.setswitchinterval(self.interval)
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        me = threading.get_ident()
        while not self._stop.wait(self.interval):
            names = {t.ident: t.name for t in threading.enumerate()}
            for ident, frame in sys._current_frames().items():
                if ident != me:
                    self._count(names.get(ident, str(ident)), frame)

    def _count(self, thread: str, frame: FrameType) -> None:
        top = _where(frame)
        if self.skip_idle and _idle(frame):
            return
        thread = thread.split("_", 1)[0] if thread.startswith("asyncio") else thread
        self.samples[thread] += 1
        self.own.setdefault(thread, Counter())[top] += 1
        seen: set[str] = set()
        total = self.total.setdefault(thread, Counter())
        f: FrameType | None = frame
        while f is not None:
            where = _where(f)
            if where not in seen:
                seen.add(where)
                total[where] += 1
            f = f.f_back

    def report(self, top: int = 25) -> str:
        lines = []
        for thread, n in self.samples.most_common():
            if n < 20:
                continue
            lines.append(f"== thread {thread}: {n} busy samples")
            lines.append("   inclusive %  self %  function")
            own = self.own[thread]
            for where, count in self.total[thread].most_common(top):
                lines.append(
                    f"   {100 * count / n:10.1f}  {100 * own[where] / n:6.1f}  {where}"
                )
            lines.append("   -- most self time:")
            for where, count in own.most_common(12):
                lines.append(f"   {100 * count / n:10.1f}  {where}")
        return "\n".join(lines)


IDLE = (
    "threading.py:",  # waits on a lock / condition / event
    "queue.py:",
    "selectors.py:",
    "socket.py:",
)


def _idle(frame: FrameType) -> bool:
    """A thread parked in a wait (not using the CPU) is not counted."""
    name = frame.f_code.co_name
    if name in ("wait", "select", "get", "_worker", "sleep", "accept", "poll", "_next"):
        return True
    return any(mark in _where(frame) for mark in IDLE)


def main() -> None:
    out, _, rest = sys.argv[1], sys.argv[2], sys.argv[3:]
    assert _ == "--" and rest[0] == "-m", "usage: bench.sampler OUT -- -m module ..."
    sampler = Sampler()
    started = time.monotonic()

    def write() -> None:
        sampler.stop()
        with open(out, "w") as f:
            f.write(f"{time.monotonic() - started:.1f} s sampled\n")
            f.write(sampler.report(40))

    atexit.register(write)
    signal.signal(signal.SIGUSR1, lambda *_: write())
    sampler.__enter__()
    sys.argv = [rest[1], *rest[2:]]
    runpy.run_module(rest[1], run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
