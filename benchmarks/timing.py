"""Seconds per epoch of a trainer's ``run_epoch``, for the benchmarks that time a second trainer
beside the one pytest-benchmark times (so their ratio comes from one process)."""

from __future__ import annotations

import time

import pytest


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


def epoch_cases(test):
    """The backend trainer benchmarks' cases: with and without BN, at batch 128 and batch 4 on
    10,000 images and at batch 128 on 60,000."""
    sizes = pytest.mark.parametrize("batch_size, train_size", [(128, 10_000), (4, 10_000), (128, 60_000)],
                                    ids=["bs128-10k", "bs4-10k", "bs128-60k"])
    return pytest.mark.parametrize("bn", [0, 1], ids=["noBN", "BN"])(sizes(test))
