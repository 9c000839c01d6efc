"""The JAX trainers against each other, epoch for epoch: plain ``model.fit``, the ``scan`` trainer
(one compiled ``lax.scan`` per epoch) and the ``vscan`` trainer, that epoch vmapped over a block of
3 seeds as the session schedules it (seconds per seed). pytest-benchmark times ``scan``; the same test times ``fit`` and the vmapped seeds over
as many rounds, so the ratios come from one process on one machine (compare ratios, not seconds).

Runs on Keras's JAX backend only: ``pytest benchmarks/test_jax_trainers.py --backend jax -s``
(``-s`` prints one line per case; the numbers are also in the benchmark's ``extra_info``).
"""

from __future__ import annotations

import statistics


from tests.prerequisites import skip_unless_backend

skip_unless_backend("jax", "the JAX trainers")

from benchmarks.timing import epoch_cases, epoch_seconds  # noqa: E402
from fixtures.training import trainer as training  # noqa: E402
from fixtures.training.models import ModelConfig  # noqa: E402
from fixtures.training.trainer import batch_orders, scaled_data  # noqa: E402

ROUNDS = 3
VMAP_SEEDS = training.SEED_BLOCK  # a vscan job's seeds
ROWS: list[dict] = []


@epoch_cases
def test_jax_trainers(benchmark, mnist_env, batch_size, train_size, bn):
    config = ModelConfig("sigmoid", bn, "sgd", batch_size)
    data = scaled_data(train_size, 1_000)
    order = batch_orders(0, train_size, 1)[0]
    benchmark.group = f"epoch bs{batch_size} {train_size}"

    _, scan_epoch, _ = training._starter("scan")(config, 0, data)
    scan_epoch(order)  # compile
    benchmark.pedantic(lambda: scan_epoch(order), rounds=ROUNDS, iterations=1, warmup_rounds=1)
    scan = benchmark.stats.stats.median

    _, fit_epoch, _ = training._starter("fit")(config, 0, data)
    fit = statistics.median(epoch_seconds(fit_epoch, order, ROUNDS))

    seeds = tuple(range(VMAP_SEEDS))
    group = training._start_group("vscan", config, seeds, data)
    orders = [batch_orders(seed, train_size, 1)[0] for seed in seeds]
    vmapped = statistics.median(epoch_seconds(group.run_epoch, orders, ROUNDS)) / VMAP_SEEDS

    row = {"batch_size": batch_size, "train_size": train_size, "bn": bn, "fit": fit, "scan": scan,
           "vmap_per_seed": vmapped, "scan_speedup": fit / scan, "vmap_speedup": fit / vmapped}
    benchmark.extra_info.update(row)
    ROWS.append(row)
    print(f"\nbs{batch_size} {train_size} BN={bn}: fit {fit:.3f} s, scan {scan:.3f} s ({fit / scan:.2f}x), "
          f"vmapped x{VMAP_SEEDS} {vmapped:.3f} s per seed ({fit / vmapped:.2f}x)")
