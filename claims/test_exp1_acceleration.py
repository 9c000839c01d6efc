"""Experiment 1 of the article: does BN accelerate training?

{sigmoid, relu} x {no BN, BN after the first hidden layer}, SGD (lr 0.01, momentum 0.9,
Nesterov), batch 128. Runs of one seed share initial Dense weights and batch order across these
configurations, so the comparisons are paired by seed.
"""

from __future__ import annotations

import pytest

from fixtures.claim import Claim
from fixtures.conjunction import all_of
from fixtures.metrics import mean_test_accuracy, mean_train_loss, per_seed
from fixtures.models import ModelConfig
from fixtures.stats import directional

SPEED_METRIC = (
    "speed = per-seed mean training loss over all epochs (area under the loss curve; lower is "
    "faster) AND per-seed mean test accuracy over all epochs (so fitting noise faster does not "
    "count as learning the task)"
)
SPEED_TEST = (
    "paired one-sided t-tests of better minus worse per seed (same seed = same initial Dense "
    "weights and batch order) against the smallest effect that counts; both parts must be "
    "supported (intersection-union test, p = the larger p)"
)
# "Much faster": the smallest gap that counts. Seed-to-seed spread of these metrics within one
# configuration is a few hundredths of a nat and under a point of accuracy, and the article's
# figure shows curves apart by tenths of a nat, so smaller gaps are not what it describes.
MUCH_LOSS = 0.10  # nats of mean training loss
MUCH_ACCURACY = 0.02  # mean test accuracy (2 percentage points)

A1 = Claim(
    id="A1",
    experiment="1: BN accelerates training",
    english=(
        "With sigmoid hidden units, adding just one BN layer makes the model converge much "
        "faster than without it."
    ),
    turkish=(
        "Şekilde görüldüğü gibi, sadece bir BN katmanının eklendiği ve modelin yakınsama "
        "hızının eklenmeden çok daha hızlı hale geldiği görülebilir."
    ),
    metric=SPEED_METRIC,
    test=SPEED_TEST,
    margin=(
        f"'much': BN's mean training loss lower by more than {MUCH_LOSS} nats and its mean test "
        f"accuracy higher by more than {MUCH_ACCURACY:.0%} points"
    ),
)

FASTER = [
    pytest.param(
        A1,
        ModelConfig("sigmoid", bn_layers=1),
        ModelConfig("sigmoid", bn_layers=0),
        (MUCH_LOSS, MUCH_ACCURACY),
        id="A1-sigmoid-bn1-vs-bn0",
        marks=pytest.mark.claim(A1),
    ),
]


@pytest.mark.parametrize("claim, faster, slower, margins", FASTER)
def test_converges_faster(runs, check_claim, claim, faster, slower, margins):
    loss_margin, accuracy_margin = margins
    fast_runs, slow_runs = runs.seeds(faster), runs.seeds(slower)
    result = all_of(
        (
            "mean train loss",
            directional(
                per_seed(fast_runs, mean_train_loss),
                per_seed(slow_runs, mean_train_loss),
                alternative="less",
                paired=True,
                margin=loss_margin,
                alpha=claim.alpha,
            ),
        ),
        (
            "mean test accuracy",
            directional(
                per_seed(fast_runs, mean_test_accuracy),
                per_seed(slow_runs, mean_test_accuracy),
                alternative="greater",
                paired=True,
                margin=accuracy_margin,
                alpha=claim.alpha,
            ),
        ),
        alpha=claim.alpha,
    )
    check_claim(claim, result, n_seeds=len(fast_runs))
