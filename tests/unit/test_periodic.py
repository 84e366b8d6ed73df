"""The housekeeping loop: its job runs at start, a failing round does not
end the loop, and stop ends it."""

from __future__ import annotations

import threading

from consumers.periodic import Periodic


def test_the_job_runs_at_start_and_survives_a_failing_round() -> None:
    rounds: list[int] = []
    second = threading.Event()

    def job() -> None:
        rounds.append(len(rounds))
        if len(rounds) == 1:
            raise RuntimeError("the store is down")
        second.set()

    loop = Periodic("test", job, interval_s=0.01)
    loop.start()
    try:
        assert second.wait(timeout=30)
    finally:
        loop.stop()
    assert rounds[:2] == [0, 1]
    assert loop._thread is not None and not loop._thread.is_alive()


def test_stop_ends_a_long_wait_between_rounds() -> None:
    ran = threading.Event()
    loop = Periodic("test", ran.set, interval_s=3600)
    loop.start()
    assert ran.wait(timeout=30)
    loop.stop()  # returns without waiting out the hour
    assert loop._thread is not None and not loop._thread.is_alive()
