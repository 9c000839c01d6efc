"""On real training runs, a planted false claim is refuted and a planted null is not supported.

Small runs (3,000 images, 2 epochs, 4 seeds) of ReLU and sigmoid networks without BN: ReLU
learns within the first epoch, sigmoid does not, so "sigmoid converges faster than ReLU" is
plainly false here.
"""

from __future__ import annotations

import functools

import pytest

from fixtures.claims.comparisons import faster
from fixtures.training.data import load_mnist, subset
from fixtures.claims.metrics import final_test_accuracy, per_seed
from fixtures.training.models import ModelConfig
from fixtures.training.scales import Scale
from fixtures.stats import Verdict, directional
from fixtures.training.trainer import train_run

PLANT = Scale("plant", train_size=3_000, epochs=2, seeds=(0, 1, 2, 3), test_size=2_000)


@pytest.fixture(scope="module")
def planted_runs(mnist_path):
    data = subset(load_mnist(mnist_path), PLANT.train_size, PLANT.test_size)

    @functools.cache  # each (config, seeds) trained once per module: the tests share arms
    def runs(config, seeds=PLANT.seeds):
        return [train_run(config, seed, PLANT, data=data) for seed in seeds]

    return runs


def test_false_claim_sigmoid_faster_than_relu_is_refuted(planted_runs):
    result = faster(planted_runs(ModelConfig("sigmoid")), planted_runs(ModelConfig("relu")),
                    labels=("sigmoid", "relu"))
    assert result.verdict is Verdict.REFUTED, result.message


def test_the_true_claim_is_supported(planted_runs):
    result = faster(planted_runs(ModelConfig("relu")), planted_runs(ModelConfig("sigmoid")),
                    labels=("relu", "sigmoid"))
    assert result.verdict is Verdict.SUPPORTED, result.message


@pytest.mark.parametrize("alternative", ["greater", "less"])
def test_planted_null_same_config_under_two_labels_is_not_supported(planted_runs, alternative):
    relu_a = per_seed(planted_runs(ModelConfig("relu"), seeds=(0, 1, 2, 3)), final_test_accuracy)
    relu_b = per_seed(planted_runs(ModelConfig("relu"), seeds=(4, 5, 6, 7)), final_test_accuracy)
    null = directional(relu_a, relu_b, alternative=alternative, labels=("relu 'A'", "relu 'B'"))
    assert null.verdict is not Verdict.SUPPORTED, null.message
    # The same test on a real effect of the same shape (other seeds, unpaired) does support it,
    # so the check above cannot pass for a test that never supports: relu learns within the
    # first epoch and sigmoid does not.
    sigmoid = per_seed(planted_runs(ModelConfig("sigmoid")), final_test_accuracy)
    a, b = (relu_b, sigmoid) if alternative == "greater" else (sigmoid, relu_b)
    real = directional(a, b, alternative=alternative)
    assert real.verdict is Verdict.SUPPORTED, real.message
