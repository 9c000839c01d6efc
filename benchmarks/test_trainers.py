"""The fast trainer against plain ``model.fit``, epoch for epoch, on the same configuration.

Both train one epoch over the same data in the same batch order; pytest-benchmark times the
fast trainer, and the same test times ``fit`` over the same number of rounds, so the ratio
comes from one run on one machine (this machine is noisy: compare ratios, not seconds).
"""

from __future__ import annotations

import statistics
import time

import keras
import pytest

from benchmarks.conftest import SPEEDUPS
from fixtures.models import ModelConfig, compiled_model
from fixtures.scales import Scale
from fixtures.training import batch_orders, epoch_timer, scaled_data

# Batch 4 with plain fit costs about a minute per 60k epoch, so every size uses 12k images:
# per-step costs, and so the ratios, do not depend on the epoch length.
BENCH_SCALE = Scale("bench", train_size=12_000, epochs=1, seeds=(0, 1))
ROUNDS = 3


def fit_epoch_seconds(config: ModelConfig, rounds: int) -> list[float]:
    data = scaled_data(BENCH_SCALE.train_size, BENCH_SCALE.test_size)
    order = batch_orders(0, data.x_train.shape[0], 1)[0]
    x, y = data.x_train[order], data.y_train[order]
    keras.utils.set_random_seed(0)
    model = compiled_model(config)
    model.fit(x, y, batch_size=config.batch_size, epochs=1, shuffle=False, verbose=0)  # trace
    seconds = []
    for _ in range(rounds):
        began = time.perf_counter()
        model.fit(x, y, batch_size=config.batch_size, epochs=1, shuffle=False, verbose=0)
        seconds.append(time.perf_counter() - began)
    return seconds


@pytest.mark.parametrize("bn", [0, 1], ids=["noBN", "BN"])
@pytest.mark.parametrize("batch_size", [4, 64, 128, 1024])
def test_fast_trainer_against_fit(benchmark, mnist_env, batch_size, bn):
    config = ModelConfig("sigmoid", bn, "sgd", batch_size)
    benchmark.group = f"epoch bs{batch_size}"
    timed_epoch = epoch_timer(config, BENCH_SCALE)
    benchmark.pedantic(timed_epoch, rounds=ROUNDS, iterations=1, warmup_rounds=1)
    fit = fit_epoch_seconds(config, ROUNDS)
    xla = benchmark.stats.stats.median
    row = {
        "batch_size": batch_size,
        "bn": bn,
        "train_size": BENCH_SCALE.train_size,
        "fit": statistics.median(fit),
        "xla": xla,
        "speedup": statistics.median(fit) / xla,
    }
    benchmark.extra_info.update({**row, "fit_rounds": fit})
    SPEEDUPS.append(row)
