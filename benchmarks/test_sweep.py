"""The whole article-scale sweep: every configuration the claims need x the article's seeds.

Trains them all afresh, the way ``pytest claims/`` does (worker processes, ``--workers`` and
``--threads`` as given), replacing what the run store holds so the next
``pytest claims/ --scale article`` reuses them, and reports the wall time and the achieved
GFLOP/s against this machine's float32 matmul peak, measured in the same session.
"""

from __future__ import annotations

import time

import numpy as np
import tensorflow as tf

from fixtures.claims.experiments import all_configs
from fixtures.training.models import HIDDEN_UNITS, ModelConfig
from fixtures.execution.parallel import train_in_workers
from fixtures.execution.runs import Runs
from fixtures.training.scales import resolve_scale
from fixtures.execution.store import RunStore

MACS_PER_EXAMPLE = sum(a * b for a, b in zip((784, *HIDDEN_UNITS), (*HIDDEN_UNITS, 10)))


def training_flops(config: ModelConfig, train_size: int, test_size: int, epochs: int) -> float:
    """Dense-layer FLOPs of a run: 6 per MAC per training example (forward 2, backward 4),
    2 per MAC per test example; BN, activations and the optimizer are not counted."""
    return epochs * MACS_PER_EXAMPLE * (6 * train_size + 2 * test_size)


def matmul_peak_gflops(size: int = 1024, repeats: int = 50) -> float:
    """Best float32 GFLOP/s of an XLA-compiled square matmul chain on this machine."""
    a = tf.constant(np.random.default_rng(0).standard_normal((size, size), dtype=np.float32))

    @tf.function(jit_compile=True)
    def chain(x):
        for _ in range(10):
            x = tf.matmul(x, a) * 1e-3
        return x

    chain(a).numpy()
    best = 0.0
    for _ in range(repeats // 10):
        began = time.perf_counter()
        chain(a).numpy()
        best = max(best, 10 * 2 * size**3 / (time.perf_counter() - began) / 1e9)
    return best


def test_article_sweep(benchmark, mnist_env, bn_settings):
    scale = resolve_scale("article", seeds=5)  # the fixed 5 seeds the sweep has always timed
    store = RunStore(bn_settings.store)
    runs = Runs(store=store, scale=scale, fresh=True, threads=bn_settings.threads, progress=print)
    configs = all_configs()

    def sweep():
        train_in_workers(runs, configs, bn_settings.workers)

    benchmark.pedantic(sweep, rounds=1, iterations=1)
    total = benchmark.stats.stats.max
    flops = len(scale.seeds) * sum(
        training_flops(c, scale.train_size, scale.test_size, scale.epochs) for c in configs
    )
    # This process has the --threads each worker has; the workers together have --workers times that.
    peak = matmul_peak_gflops() * max(1, bn_settings.workers)
    benchmark.extra_info.update({
        "runs": runs.trained,
        "workers": bn_settings.workers,
        "threads": bn_settings.threads,
        "wall_seconds": total,
        "train_seconds": runs.train_seconds,
        "achieved_gflops_wall": flops / total / 1e9,
        "achieved_gflops_training": flops / runs.train_seconds / 1e9,
        "matmul_peak_gflops": peak,  # of all the workers' cores together
    })
    print(f"article sweep: {runs.trained} runs in {total:.0f} s wall ({runs.train_seconds:.0f} s in "
          f"training epochs, summed over {bn_settings.workers} workers); "
          f"{flops / total / 1e9:.0f} GFLOP/s over the wall time, peak {peak:.0f}")
    assert runs.trained == len(configs) * len(scale.seeds)
    store.close()
