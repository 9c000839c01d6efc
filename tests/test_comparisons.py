"""The claim shapes of fixtures/claims/comparisons.py, on runs with known curves.

Each shape is checked against the primitive it should call, fed by hand-computed per-seed values,
so a shape that read the wrong metric, flipped a direction or dropped a margin fails here.
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


def run(loss, accuracy, seed=0) -> RunResult:
    """A run whose per-epoch training loss and test accuracy are the given curves."""
    loss, accuracy = tuple(map(float, loss)), tuple(map(float, accuracy))
    return RunResult(config={}, seed=seed, budget={}, trainer="t", train_loss=loss,
                     train_accuracy=accuracy, test_loss=loss, test_accuracy=accuracy,
                     epoch_seconds=(1.0,) * len(loss))


NOISE = [0.0, 0.01, -0.01, 0.02, -0.005]


def arm(loss_scale, accuracy_shift):
    return [run(np.array([2.0, 1.0, 0.5]) * loss_scale * (1 + e), np.array([0.5, 0.8, 0.9]) + accuracy_shift + e, s)
            for s, e in enumerate(NOISE)]


def test_faster_is_a_log_ratio_test_of_mean_loss_and_a_test_of_mean_accuracy():
    fast, slow = arm(0.5, 0.05), arm(1.0, 0.0)
    result = faster(fast, slow, loss_ratio=0.8, accuracy_margin=0.02)
    loss_part, accuracy_part = (part for _, part in result.parts)
    # mean loss ratio is exactly 0.5 in every seed: log 0.5 against log 0.8
    assert loss_part.difference == pytest.approx(math.log(0.5), abs=1e-9)
    assert loss_part.margin == pytest.approx(log_margin(0.8)) and loss_part.alternative == "less"
    assert accuracy_part.difference == pytest.approx(0.05, abs=1e-9) and accuracy_part.margin == 0.02
    assert result.verdict.value == "supported"
    assert faster(slow, fast).verdict.value == "refuted"


def test_faster_needs_both_parts():
    quick_but_not_learning = arm(0.5, -0.1)
    assert faster(quick_but_not_learning, arm(1.0, 0.0)).verdict.value == "refuted"


def test_similar_is_tost_on_each_metric_with_its_margin():
    a, b = arm(1.0, 0.0), arm(1.05, 0.004)
    metrics = [("loss", log_mean_train_loss, log_margin(1.1)), ("acc", final_test_accuracy, 0.01)]
    result = similar(a, b, metrics=metrics)
    expected = equivalence([log_mean_train_loss(r) for r in a], [log_mean_train_loss(r) for r in b],
                           margin=log_margin(1.1), paired=True)
    assert result.parts[0][1].pvalue == pytest.approx(expected.pvalue)
    assert result.verdict.value == "supported"
    assert similar(a, arm(1.5, 0.0), metrics=metrics).verdict.value == "refuted"  # 50% apart


def test_better_effect_compares_the_last_epoch():
    better, worse = arm(0.5, 0.03), arm(1.0, 0.0)
    result = better_effect(better, worse)
    accuracy_part = result.parts[0][1]
    assert accuracy_part.difference == pytest.approx(0.03, abs=1e-9)
    expected = directional([r.test_accuracy[-1] for r in better], [r.test_accuracy[-1] for r in worse],
                           alternative="greater", paired=True)
    assert accuracy_part.pvalue == pytest.approx(expected.pvalue)
    assert result.verdict.value == "supported"


def test_improves_along_and_best_levels_read_the_levels_in_order():
    levels = [arm(1.0 - 0.2 * k, 0.02 * k) for k in range(4)]
    assert improves_along(levels, levels=(1, 2, 3, 4)).verdict.value == "supported"
    assert improves_along(levels[::-1], levels=(1, 2, 3, 4)).verdict.value == "refuted"
    assert best_levels(levels, levels=(1, 2, 3, 4), best=(4,)).verdict.value == "supported"
    assert best_levels(levels, levels=(1, 2, 3, 4), best=(1,)).verdict.value == "refuted"
