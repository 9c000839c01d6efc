"""Benchmarks: not part of `pytest tests/` or `pytest claims/`; run `pytest benchmarks/`.

Each speed-up benchmark leaves a row here; the terminal summary prints them as one table.
"""

from __future__ import annotations

import os

import pytest

SPEEDUPS: list[dict] = []


def pytest_terminal_summary(terminalreporter):
    if not SPEEDUPS:
        return
    terminalreporter.section("fast trainer vs model.fit (seconds per epoch, median)")
    terminalreporter.write_line(
        f"{'batch':>5} {'BN':>3} {'fit':>8} {'xla':>8} {'speed-up':>9}   "
        f"{'article fit':>11} {'xla+test':>9} {'speed-up':>9}"
    )
    for row in SPEEDUPS:
        terminalreporter.write_line(
            f"{row['batch_size']:>5} {row['bn']:>3} {row['fit']:>8.3f} {row['xla']:>8.3f} {row['speedup']:>8.2f}x   "
            f"{row['article_call']:>11.3f} {row['xla_with_test']:>9.3f} {row['article_speedup']:>8.2f}x"
        )


@pytest.fixture(scope="session")
def mnist_env():
    if not os.environ.get("BNCLAIMS_MNIST"):
        pytest.skip("BNCLAIMS_MNIST is not set: benchmarks need the real MNIST")
