"""CPU profile of every thread of a process: cProfile with the thread's CPU
clock, one profiler per thread (cProfile sees only the thread that enables
it; the server decides on the bus's committer thread, routes run on worker
threads, the event loop on the main one). Time blocked in I/O or waiting is
not counted, so the report says where the CPU goes.

    python -m bench.cpu_profile OUT -- -m infra.cli serve ...

writes pstats' report (cumulative and own time) to OUT at exit or SIGTERM.
"""

from __future__ import annotations

import atexit
import cProfile
import io
import pstats
import runpy
import signal
import sys
import threading
import time
from types import FrameType
from typing import Any

_profiles: list[cProfile.Profile] = []
_names: list[str] = []
_lock = threading.Lock()


def _start_in_thread(frame: FrameType, event: str, arg: Any) -> None:
    """Runs once per new thread (threading.setprofile): hands the thread to
    its own cProfile, which replaces this hook."""
    profile = cProfile.Profile(time.thread_time)
    with _lock:
        _profiles.append(profile)
        _names.append(threading.current_thread().name)
    profile.enable()


def report(out: str) -> None:
    for profile in list(_profiles):
        profile.disable()
    text = io.StringIO()
    for name, profile in zip(_names, _profiles, strict=True):
        own = pstats.Stats(profile).total_tt  # type: ignore[attr-defined]
        text.write(f"thread {name}: {own:.2f} s CPU\n")
    stats = pstats.Stats(*_profiles, stream=text) if _profiles else None
    if stats is not None:
        stats.dump_stats(out + ".pstats")  # for pstats' own browsing
        stats.sort_stats("cumulative").print_stats(60)
        stats.sort_stats("tottime").print_stats(40)
    with open(out, "w") as f:
        f.write(text.getvalue())


def main() -> None:
    out, sep, flag, module, *rest = sys.argv[1:]
    assert sep == "--" and flag == "-m", "usage: bench.cpu_profile OUT -- -m mod"
    atexit.register(report, out)
    signal.signal(signal.SIGUSR1, lambda *_: report(out))
    threading.setprofile(_start_in_thread)
    _start_in_thread(sys._getframe(), "call", None)
    sys.argv = [module, *rest]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
