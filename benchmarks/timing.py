"""Seconds per epoch of a trainer's ``run_epoch``, for the benchmarks that time a second trainer
beside the one pytest-benchmark times (so their ratio comes from one process)."""

from __future__ import annotations

import time


def epoch_seconds(run_epoch, order, rounds: int) -> list[float]:
    """``rounds`` timed epochs of ``run_epoch(order)`` after one untimed (tracing, compiling,
    first-call costs)."""
    run_epoch(order)
    seconds = []
    for _ in range(rounds):
        began = time.perf_counter()
        run_epoch(order)
        seconds.append(time.perf_counter() - began)
    return seconds
