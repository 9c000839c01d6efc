"""On real training runs, a planted false claim is refuted and a planted null is not supported.

Small runs (3,000 images, 2 epochs, 4 seeds) of ReLU and sigmoid networks without BN: ReLU
learns within the first epoch, sigmoid does not, so "sigmoid converges faster than ReLU" is
plainly false here.
"""

from __future__ import annotations

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


def test_planted_null_same_config_under_two_labels_is_not_supported(planted_runs):
    config = ModelConfig("relu")
    a = per_seed(planted_runs(config, seeds=(0, 1, 2, 3)), final_test_accuracy)
    b = per_seed(planted_runs(config, seeds=(4, 5, 6, 7)), final_test_accuracy)
    for alternative in ("greater", "less"):
        result = directional(a, b, alternative=alternative, labels=("relu 'A'", "relu 'B'"))
        assert result.verdict is not Verdict.SUPPORTED, result.message
