"""Experiment 4 of the article: how the batch size affects BN.

Sigmoid, SGD, batch sizes 4, 64, 256, 1024, each with and without BN after the first hidden
layer. Plus the article's reasoning about batch size: batch statistics (D5), epoch time (D6)
and worse minima for large batches (D7).
"""

from __future__ import annotations

import numpy as np
import pytest

from fixtures import margins
from fixtures.claim import Claim, Expectation
from fixtures.comparisons import best_levels, better_effect, level_matrix
from fixtures.conjunction import all_of
from fixtures.metrics import final_test_accuracy
from fixtures.models import ModelConfig
from fixtures.stats import directional, equivalence, trend
from fixtures.metrics import per_seed
from fixtures.training import epoch_timer

SIZES = (4, 64, 256, 1024)
SMALL = (4, 64)  # "small batches": the two sizes below the article's default of 128
BEST_TEST = (
    "each named size beats each other size (paired one-sided t-tests, Holm within the family) "
    "on mean training loss AND on final test accuracy; both must be supported"
)
SPEED_EFFECT = "speed = per-seed mean training loss over epochs; effect = per-seed final test accuracy"


def sigmoid_sgd(bn: int, size: int) -> ModelConfig:
    return ModelConfig("sigmoid", bn, "sgd", size)


def needs_sizes(bn_levels: tuple[int, ...], sizes: tuple[int, ...]) -> pytest.MarkDecorator:
    """The runs of the sigmoid SGD net with each of ``bn_levels`` BN layers at each batch size."""
    return pytest.mark.needs_runs(*[sigmoid_sgd(bn, size) for bn in bn_levels for size in sizes])


D1 = Claim(
    id="D1", experiment="4: batch size",
    english="With BN, batch sizes 64 and 4 give the best convergence effect and speed.",
    turkish="BN katmanı eklenmiş model için (kesikli çizgi), parti boyutu 64 ve 4 olduğunda, yakınsama etkisi ve hız en iyisidir.",
    metric=SPEED_EFFECT, test=BEST_TEST, margin="0: 'best' asks only to be better",
)
D2 = Claim(
    id="D2", experiment="4: batch size",
    english="Without BN, batch size 4 is best.",
    turkish="BN eklenmemiş model için (düz çizgi), toplu olarak Etkisi 4 olduğunda en iyisidir.",
    metric=SPEED_EFFECT, test=BEST_TEST, margin="0: 'best' asks only to be better",
)
D3 = Claim(
    id="D3", experiment="4: batch size",
    english="At small batch sizes, using BN or not barely changes performance.",
    turkish="küçük partilerde, BN kullanılıp kullanılmayacağı, performansı neredeyse hiç etkilemeyecektir.",
    metric="performance = per-seed final test accuracy; small = batch 4 and batch 64",
    test="TOST equivalence (paired) of BN against no BN at batch 4 and at batch 64; both must be supported",
    margin=f"±{margins.ACCURACY:.0%} final test accuracy (fixtures/margins.py)",
    expected={
        "ci": Expectation("refuted", (
            "measured 2026-11-26 (one TensorFlow thread per run), 6 seeds, final test accuracy BN "
            "minus no BN: batch 4 +0.0164 (90% CI [+0.0125, +0.0203], inside the 0.02 margin) but "
            "batch 64 +0.366 (90% CI [+0.335, +0.396]): without BN the sigmoid net at batch 64 is "
            "still far behind"
        )),
        "article": Expectation("refuted", (
            "measured 2026-11-26 (one TensorFlow thread per run), 5 seeds, final test accuracy BN "
            "minus no BN: batch 4 +0.0012 (90% CI [-0.0010, +0.0033], inside the 0.02 margin) but "
            "batch 64 +0.0549 (90% CI [+0.0510, +0.0588]): BN still matters at batch 64"
        )),
    },
)
D4 = Claim(
    id="D4", experiment="4: batch size",
    english="At small batch sizes, the BN layer degrades performance. (Pulls against D3.)",
    turkish="Küçük partilerde, BN katmanı performansı düşürür.",
    metric="performance = per-seed final test accuracy; small = batch 4 and batch 64",
    test="paired one-sided t-test, no BN above BN, at batch 4 and at batch 64; both must be supported",
    margin="0: any degradation",
    expected={
        "ci": Expectation("refuted", (
            "measured 2026-11-26 (one TensorFlow thread per run), 6 seeds: BN improves, not "
            "degrades, final test accuracy at small batches: batch 4 +0.0164 (90% CI [+0.0125, "
            "+0.0203]), batch 64 +0.366 (90% CI [+0.335, +0.396])"
        )),
        "article": Expectation("refuted", (
            "measured 2026-11-26 (one TensorFlow thread per run), 5 seeds: BN does not degrade "
            "final test accuracy at small batches: batch 4 +0.0012 (90% CI [-0.0010, +0.0033], no "
            "significant change), batch 64 +0.0549 (90% CI [+0.0510, +0.0588], a clear improvement)"
        )),
    },
)
D5 = Claim(
    id="D5", experiment="4: batch size (reasoning)",
    english="Smaller batches make the batch statistics differ more from batch to batch.",
    turkish="Toplu iş boyutunun azaltılması, gruplar arasındaki farklılığı artıracak",
    metric=(
        "for each trained sigmoid BN model (batch 128): the standard deviation across 200 random "
        "batches of each unit's batch mean and batch variance at the first hidden layer (what "
        "the first BN normalises with), averaged over units; per batch size 4, 64, 256, 1024"
    ),
    test="Page's trend test, decreasing with batch size, seeds as blocks, for the mean AND the variance",
    margin="none: a rank-order trend",
)
D6 = Claim(
    id="D6", experiment="4: batch size (reasoning)",
    english="Large batches iterate faster: an epoch takes less time as the batch size grows.",
    turkish="Büyük partilerin yinelenmesi daha hızlıdır ... Küçük partiler daha yüksek rasgeleliğe sahiptir, ancak bir dönemi geçmek daha fazla zaman alır.",
    metric=(
        "wall seconds of one training epoch (fast trainer) over the scale's timed images (ci: "
        "10,000; article: all 60,000), timed by pytest-benchmark; each round times every batch size"
    ),
    test="Page's trend test, decreasing with batch size, rounds as blocks, with BN AND without",
    margin="none: a rank-order trend",
)
D7 = Claim(
    id="D7", experiment="4: batch size (reasoning)",
    english="Large batches settle in worse minima: for a fixed number of epochs they end at worse loss/accuracy than moderate batches.",
    turkish="Büyük partilerin yinelenmesi daha hızlıdır, ancak yerel minimumlara düşme eğilimindedir.",
    metric="per-seed final test accuracy AND final training loss; large = 1024, moderate = 64",
    test="paired one-sided t-tests, batch 64 better than batch 1024 on both metrics, with BN AND without",
    margin="0: any worse end point",
)


@pytest.mark.parametrize(
    "claim, bn, best",
    [pytest.param(D1, 1, (4, 64), id="D1", marks=[pytest.mark.claim(D1), needs_sizes((1,), SIZES)]),
     pytest.param(D2, 0, (4,), id="D2", marks=[pytest.mark.claim(D2), needs_sizes((0,), SIZES)])],
)
def test_best_batch_sizes(runs, check_claim, claim, bn, best):
    by_size = [runs.seeds(sigmoid_sgd(bn, size)) for size in SIZES]
    result = best_levels(by_size, levels=SIZES, best=best, alpha=claim.alpha)
    check_claim(claim, result, n_seeds=len(runs.scale.seeds))


def _bn_vs_plain(runs, size):
    return (per_seed(runs.seeds(sigmoid_sgd(1, size)), final_test_accuracy),
            per_seed(runs.seeds(sigmoid_sgd(0, size)), final_test_accuracy))


@pytest.mark.claim(D3)
@needs_sizes((0, 1), SMALL)
def test_d3_bn_barely_matters_at_small_batches(runs, check_claim):
    result = all_of(*[
        (f"batch {size}", equivalence(*_bn_vs_plain(runs, size), margin=margins.ACCURACY,
                                      paired=True, alpha=D3.alpha, labels=("BN", "no BN")))
        for size in SMALL
    ], alpha=D3.alpha)
    check_claim(D3, result, n_seeds=len(runs.scale.seeds))


@pytest.mark.claim(D4)
@needs_sizes((0, 1), SMALL)
def test_d4_bn_degrades_small_batches(runs, check_claim):
    result = all_of(*[
        (f"batch {size}", directional(*_bn_vs_plain(runs, size), alternative="less",
                                      paired=True, alpha=D4.alpha, labels=("BN", "no BN")))
        for size in SMALL
    ], alpha=D4.alpha)
    check_claim(D4, result, n_seeds=len(runs.scale.seeds))


@pytest.mark.claim(D5)
@pytest.mark.needs_runs(ModelConfig("sigmoid", 1))
def test_d5_small_batches_have_more_variable_statistics(runs, check_claim):
    models = runs.seeds(ModelConfig("sigmoid", 1))
    sizes = [size for size in SIZES if str(size) in models[0].extras["batch_stats"]]  # <= data

    def spread(which):
        return np.array([[run.extras["batch_stats"][str(s)][which] for s in sizes] for run in models])

    result = all_of(*[
        (f"batch {which}", trend(spread(which), levels=sizes, alternative="decreasing", alpha=D5.alpha))
        for which in ("mean_spread", "variance_spread")
    ], alpha=D5.alpha)
    check_claim(D5, result, n_seeds=len(models))


BENCHMARK_ROUNDS = 6


@pytest.mark.claim(D6)
def test_d6_epochs_take_less_time_at_larger_batches(benchmark, bn_settings, check_claim):
    timers = {(bn, size): epoch_timer(sigmoid_sgd(bn, size), bn_settings.scale.timed_images)
              for bn in (0, 1) for size in SIZES}
    rounds = []

    def one_round():
        rounds.append({key: timer() for key, timer in timers.items()})

    if benchmark.disabled:
        # Off under xdist or --benchmark-disable: the fixture then calls its function once,
        # untimed, so the rounds time themselves.
        benchmark(lambda: [one_round() for _ in range(BENCHMARK_ROUNDS + 1)])
    else:
        benchmark.pedantic(one_round, rounds=BENCHMARK_ROUNDS, iterations=1, warmup_rounds=1)
    rounds = rounds[-BENCHMARK_ROUNDS:]  # the warm-up round paid for compilation
    seconds = {bn: np.array([[r[(bn, size)] for size in SIZES] for r in rounds]) for bn in (0, 1)}
    benchmark.extra_info["epoch_seconds"] = {
        f"bn{bn}": {str(size): seconds[bn][:, i].tolist() for i, size in enumerate(SIZES)}
        for bn in (0, 1)
    }
    result = all_of(*[
        (f"{'BN' if bn else 'no BN'} epoch seconds", trend(seconds[bn], levels=SIZES,
                                                        alternative="decreasing", alpha=D6.alpha))
        for bn in (0, 1)
    ], alpha=D6.alpha)
    check_claim(D6, result, n_seeds=BENCHMARK_ROUNDS)


@pytest.mark.claim(D7)
@needs_sizes((0, 1), (64, 1024))
def test_d7_large_batches_end_worse_than_moderate(runs, check_claim):
    result = all_of(*[
        (f"{'BN' if bn else 'no BN'}", better_effect(
            runs.seeds(sigmoid_sgd(bn, 64)), runs.seeds(sigmoid_sgd(bn, 1024)),
            alpha=D7.alpha, labels=("batch 64", "batch 1024")))
        for bn in (1, 0)
    ], alpha=D7.alpha)
    check_claim(D7, result, n_seeds=len(runs.scale.seeds))
