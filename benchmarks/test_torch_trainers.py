"""The PyTorch trainers against each other, epoch for epoch: plain ``model.fit`` and the ``loop``
trainer (Keras's train step in a plain loop). pytest-benchmark times ``loop``; the same test
times ``fit`` over as many rounds, so the ratio comes from one process on one machine (compare
ratios, not seconds).

Runs on Keras's PyTorch backend only: ``pytest benchmarks/test_torch_trainers.py --backend torch -s``
(``-s`` prints one line per case; the numbers are also in the benchmark's ``extra_info``).
"""

from __future__ import annotations

import statistics


from tests.prerequisites import skip_unless_backend

skip_unless_backend("torch", "the PyTorch trainers")

from benchmarks.timing import epoch_cases, epoch_seconds  # noqa: E402
from fixtures.training import trainer as training  # noqa: E402
from fixtures.training.models import ModelConfig  # noqa: E402
from fixtures.training.trainer import batch_orders, scaled_data  # noqa: E402

ROUNDS = 3


@epoch_cases
def test_torch_trainers(benchmark, mnist_env, batch_size, train_size, bn):
    config = ModelConfig("sigmoid", bn, "sgd", batch_size)
    data = scaled_data(train_size, 1_000)
    order = batch_orders(0, train_size, 1)[0]
    benchmark.group = f"epoch bs{batch_size} {train_size}"

    _, loop_epoch, _ = training._starter("loop")(config, 0, data)
    loop_epoch(order)  # the first epoch's one-off costs (allocations, Keras's first call)
    benchmark.pedantic(lambda: loop_epoch(order), rounds=ROUNDS, iterations=1, warmup_rounds=1)
    loop = benchmark.stats.stats.median

    _, fit_epoch, _ = training._starter("fit")(config, 0, data)
    fit = statistics.median(epoch_seconds(fit_epoch, order, ROUNDS))

    row = {"batch_size": batch_size, "train_size": train_size, "bn": bn, "fit": fit, "loop": loop,
           "loop_speedup": fit / loop}
    benchmark.extra_info.update(row)
    print(f"\nbs{batch_size} {train_size} BN={bn}: fit {fit:.3f} s, loop {loop:.3f} s ({fit / loop:.2f}x)")
