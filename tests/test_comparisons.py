"""The claim shapes of fixtures/claims/comparisons.py, on runs with known curves.

Each shape is checked against hand-computed differences of the metric it is declared to use.
Every run has four distinct curves (train/test loss and accuracy) whose means over epochs and
final values move differently between arms, so a shape that read the wrong metric (final
instead of mean, train instead of test), flipped a direction or dropped a margin fails here.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from fixtures.claims.comparisons import best_levels, better_effect, faster, improves_along, similar
from fixtures.claims.margins import log_margin
from fixtures.claims.metrics import final_test_accuracy, log_mean_train_loss
from fixtures.training.results import RunResult
from fixtures.stats import directional, equivalence

CURVES = ("train_loss", "test_loss", "train_accuracy", "test_accuracy")


def run(curves: dict, seed: int, e: float) -> RunResult:
    """A run with the given per-epoch curves: each loss times (1 + e), each accuracy plus e."""
    values = {name: tuple(float(v * (1 + e) if name.endswith("loss") else v + e) for v in curves[name])
              for name in CURVES}
    return RunResult(config={}, seed=seed, budget={}, trainer="t", epoch_seconds=(1.0,) * 3, **values)


# Seed noise with mean exactly 0. Each arm (or level) takes it in its own rotation, so paired
# differences vary (no zero-variance shortcut in the tests), yet over the 5 seeds they average
# out: a mean accuracy difference is exactly the base curves' difference, a mean log-loss
# difference exactly the log ratio of the base curves' losses, a level mean exactly the base's.
NOISE = (0.0, 0.004, -0.004, 0.008, -0.008)


def arm(curves: dict, rotation: int = 0) -> list[RunResult]:
    noise = NOISE[rotation:] + NOISE[:rotation]
    return [run(curves, seed, e) for seed, e in enumerate(noise)]


# Two arms whose eight (curve, mean/final) metrics all differ, fast minus slow:
#   train loss   mean log(1.8/3.5) = -0.665  final log(0.3/0.5) = -0.511
#   test loss    mean log(3.3/4.1) = -0.217  final log(0.9/0.8) = +0.118
#   train acc    mean 0.34/3 = 0.113         final 0.04
#   test acc     mean 0.28/3 = 0.093         final 0.03
SLOW = dict(train_loss=(2.0, 1.0, 0.5), test_loss=(2.1, 1.2, 0.8),
            train_accuracy=(0.55, 0.85, 0.95), test_accuracy=(0.5, 0.8, 0.9))
FAST = dict(train_loss=(1.0, 0.5, 0.3), test_loss=(1.4, 1.0, 0.9),
            train_accuracy=(0.8, 0.9, 0.99), test_accuracy=(0.7, 0.85, 0.93))


# Each part's difference must be the right metric's, to 1e-9 (float round-off of 5-seed means);
# any wrong metric above is at least 0.01 away.
@pytest.mark.parametrize("shape, expected", [
    (faster, {"mean train loss (log ratio)": math.log(1.8 / 3.5), "mean test accuracy": 0.28 / 3}),
    (better_effect, {"final test accuracy": 0.03, "final train loss (log ratio)": math.log(0.3 / 0.5)}),
], ids=["faster", "better_effect"])
def test_each_part_reads_its_declared_metric(shape, expected):
    result = shape(arm(FAST, 1), arm(SLOW))
    assert {name: part.difference for name, part in result.parts} == pytest.approx(expected, abs=1e-9)
    assert result.verdict.value == "supported"
    assert shape(arm(SLOW), arm(FAST, 1)).verdict.value == "refuted"


def test_faster_is_a_log_ratio_test_of_mean_loss_with_margins():
    result = faster(arm(FAST, 1), arm(SLOW), loss_ratio=0.8, accuracy_margin=0.02)
    loss_part, accuracy_part = (part for _, part in result.parts)
    assert loss_part.margin == pytest.approx(log_margin(0.8)) and loss_part.alternative == "less"
    assert accuracy_part.margin == 0.02 and accuracy_part.alternative == "greater"
    assert result.verdict.value == "supported"
    # mean test loss (ratio 0.80) would not clear a 0.75 ratio; mean train loss (0.51) does
    assert faster(arm(FAST, 1), arm(SLOW), loss_ratio=0.75).verdict.value == "supported"


def test_faster_needs_both_parts():
    quick_but_not_learning = dict(FAST, test_accuracy=(0.4, 0.7, 0.8))
    assert faster(arm(quick_but_not_learning, 1), arm(SLOW)).verdict.value == "refuted"


def test_similar_is_tost_on_each_metric_with_its_margin():
    a = arm(SLOW)
    b = arm(dict(SLOW, train_loss=tuple(1.05 * v for v in SLOW["train_loss"]),
                 test_accuracy=tuple(v + 0.004 for v in SLOW["test_accuracy"])))
    metrics = [("loss", log_mean_train_loss, log_margin(1.1)), ("acc", final_test_accuracy, 0.01)]
    result = similar(a, b, metrics=metrics)
    expected = equivalence([log_mean_train_loss(r) for r in a], [log_mean_train_loss(r) for r in b],
                           margin=log_margin(1.1), paired=True)
    assert result.parts[0][1].pvalue == pytest.approx(expected.pvalue)
    assert result.verdict.value == "supported"
    far = arm(dict(SLOW, train_loss=tuple(1.5 * v for v in SLOW["train_loss"])))
    assert similar(a, far, metrics=metrics).verdict.value == "refuted"  # 50% apart


def test_better_effect_p_is_the_paired_test_of_final_test_accuracy():
    better, worse = arm(FAST, 1), arm(SLOW)
    expected = directional([r.test_accuracy[-1] for r in better], [r.test_accuracy[-1] for r in worse],
                           alternative="greater", paired=True)
    assert better_effect(better, worse).parts[0][1].pvalue == pytest.approx(expected.pvalue)


# Four levels along which the right metrics improve and every wrong one goes the other way:
#   mean train loss (3.5 - 0.55k)/3 falls, final train loss 0.5 + 0.05k rises;
#   mean test loss (4.0 + 0.2k)/3 rises; final test accuracy 0.87 + 0.03k rises, mean test
#   accuracy (2.27 - 0.03k)/3 falls; train accuracy falls.
def level(k: int) -> dict:
    return dict(train_loss=(2.0 - 0.4 * k, 1.0 - 0.2 * k, 0.5 + 0.05 * k),
                test_loss=(2.0, 1.2, 0.8 + 0.2 * k),
                train_accuracy=(0.6, 0.85, 0.95 - 0.02 * k),
                test_accuracy=(0.6 - 0.05 * k, 0.8 - 0.01 * k, 0.87 + 0.03 * k))


LEVELS = [arm(level(k), k) for k in range(4)]
MEAN_TRAIN_LOSS = (3.5 / 3, 2.95 / 3, 2.4 / 3, 1.85 / 3)
FINAL_TEST_ACCURACY = (0.87, 0.90, 0.93, 0.96)


@pytest.mark.parametrize("shape, kwargs, names", [
    (improves_along, {}, ("mean train loss falls (log ratio)", "final test accuracy rises")),
    (best_levels, {"best": (4,)}, ("mean train loss (log ratio)", "final test accuracy")),
], ids=["improves_along", "best_levels"])
def test_level_shapes_read_mean_train_loss_and_final_test_accuracy(shape, kwargs, names):
    """Both on the log of the mean training loss (a ratio between levels), as every loss."""
    result = shape(LEVELS, levels=(1, 2, 3, 4), **kwargs)
    assert [name for name, _ in result.parts] == list(names)
    for (name, part), expected in zip(result.parts, (np.log(MEAN_TRAIN_LOSS), FINAL_TEST_ACCURACY)):
        # The seeds' noise moves a mean of logs off the log of the mean by ~2e-5; a wrong metric
        # (raw nats, the final loss) is off by 0.1 or more.
        assert part.level_means == pytest.approx(expected, abs=1e-3), name
    assert result.verdict.value == "supported"


def test_improves_along_and_best_levels_read_the_levels_in_order():
    assert improves_along(LEVELS[::-1], levels=(1, 2, 3, 4)).verdict.value == "refuted"
    assert best_levels(LEVELS, levels=(1, 2, 3, 4), best=(1,)).verdict.value == "refuted"
