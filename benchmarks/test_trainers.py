"""The fast trainer against plain ``model.fit``, epoch for epoch, on the same configuration.

Both train one epoch over the same data in the same batch order; pytest-benchmark times the
fast trainer, and the same test times ``fit`` over the same number of rounds, so the ratio
comes from one run on one machine (this machine is noisy: compare ratios, not seconds).

Two references: ``fit`` alone (training only, ``verbose=0``: the strict comparison), and the
article's own call, ``fit(..., validation_data=test)`` with Keras's default progress output,
against a fast-trainer epoch plus its test evaluation (what a run of the suite does per epoch).
"""

from __future__ import annotations

import statistics
import time

import keras
import pytest

from benchmarks.conftest import SPEEDUPS
from fixtures.training.models import ModelConfig, compiled_model
from fixtures.training.scales import Scale
from fixtures.training.trainer import batch_orders, epoch_timer, evaluation_timer, scaled_data

# Batch 4 with plain fit costs about 20 s per 60k epoch here, so every size uses 12k images:
# per-step costs, and so the ratios, do not depend on the epoch length.
BENCH_SCALE = Scale("bench", train_size=12_000, epochs=1, seeds=(0, 1))
ROUNDS = 3


def fit_epoch_seconds(config: ModelConfig, rounds: int, **fit_options) -> list[float]:
    data = scaled_data(BENCH_SCALE.train_size, BENCH_SCALE.test_size)
    order = batch_orders(0, data.x_train.shape[0], 1)[0]
    x, y = data.x_train[order], data.y_train[order]
    keras.utils.set_random_seed(0)
    model = compiled_model(config)
    model.fit(x, y, batch_size=config.batch_size, epochs=1, shuffle=False, verbose=0)  # trace
    seconds = []
    for _ in range(rounds):
        began = time.perf_counter()
        model.fit(x, y, batch_size=config.batch_size, epochs=1, shuffle=False, **fit_options)
        seconds.append(time.perf_counter() - began)
    return seconds


@pytest.mark.parametrize("bn", [0, 1], ids=["noBN", "BN"])
@pytest.mark.parametrize("batch_size", [4, 64, 128, 1024])
def test_fast_trainer_against_fit(benchmark, mnist_env, batch_size, bn):
    config = ModelConfig("sigmoid", bn, "sgd", batch_size)
    benchmark.group = f"epoch bs{batch_size}"
    timed_epoch = epoch_timer(config, BENCH_SCALE.train_size)
    benchmark.pedantic(timed_epoch, rounds=ROUNDS, iterations=1, warmup_rounds=1)
    xla = benchmark.stats.stats.median
    fit = statistics.median(fit_epoch_seconds(config, ROUNDS, verbose=0))
    data = scaled_data(BENCH_SCALE.train_size, BENCH_SCALE.test_size)
    article = statistics.median(fit_epoch_seconds(config, ROUNDS, validation_data=(data.x_test, data.y_test)))
    evaluate = evaluation_timer(config, BENCH_SCALE.train_size, BENCH_SCALE.test_size)
    evaluate()  # compile
    xla_with_test = xla + statistics.median(evaluate() for _ in range(ROUNDS))
    row = {
        "batch_size": batch_size,
        "bn": bn,
        "train_size": BENCH_SCALE.train_size,
        "fit": fit,
        "xla": xla,
        "speedup": fit / xla,
        "article_call": article,
        "xla_with_test": xla_with_test,
        "article_speedup": article / xla_with_test,
    }
    benchmark.extra_info.update(row)
    SPEEDUPS.append(row)
