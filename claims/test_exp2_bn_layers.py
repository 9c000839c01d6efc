"""Experiment 2 of the article: does training keep improving as BN layers are added?

Four models per activation, with BN after the first 1, 2, 3 and 4 hidden layers; SGD, batch 128.
"""

from __future__ import annotations

import pytest

from fixtures import margins
from fixtures.claim import Claim
from fixtures.comparisons import improves_along, similar
from fixtures.conjunction import all_of
from fixtures.metrics import final_test_accuracy, mean_train_loss
from fixtures.models import ModelConfig

LEVELS = (1, 2, 3, 4)

B1 = Claim(
    id="B1",
    experiment="2: number of BN layers",
    english="With sigmoid, convergence speed and final effect improve as the number of BN layers grows.",
    turkish="sigmoid aktivasyon fonksiyonunu kullanan modelin yakınsama hızı ve etkisi katman sayısı arttıkça artar",
    metric="speed = per-seed mean training loss over epochs; effect = per-seed final test accuracy",
    test=(
        "Page's trend test over 1, 2, 3, 4 BN layers with seeds as blocks: mean training loss "
        "decreasing AND final test accuracy increasing; both must be supported"
    ),
    margin="none: a monotone trend in rank order is what 'improves as layers grow' asserts",
)
B2 = Claim(
    id="B2",
    experiment="2: number of BN layers",
    english="With ReLU, the model is insensitive to the number of BN layers: no significant difference between one BN layer and several.",
    turkish="ReLU kullanan model BN katmanlarının sayısına duyarlı görünmemektedir.Bir katman kullanmak ile birden fazla katman kullanmak arasında önemli bir fark yoktur.",
    metric="speed = per-seed mean training loss over epochs; effect = per-seed final test accuracy",
    test=(
        "TOST equivalence (paired) of 1 BN layer against each of 2, 3 and 4, on both metrics; all "
        "six must be supported (intersection-union). Never inferred from a non-significant difference"
    ),
    margin=f"±{margins.LOSS} nats mean training loss, ±{margins.ACCURACY:.0%} final test accuracy (fixtures/margins.py)",
)


@pytest.mark.claim(B1)
@pytest.mark.needs_runs(*[ModelConfig("sigmoid", k) for k in LEVELS])
def test_b1_sigmoid_improves_with_more_bn_layers(runs, check_claim):
    by_level = [runs.seeds(ModelConfig("sigmoid", k)) for k in LEVELS]
    result = improves_along(by_level, levels=LEVELS, alpha=B1.alpha)
    check_claim(B1, result, n_seeds=len(runs.scale.seeds))


@pytest.mark.claim(B2)
@pytest.mark.needs_runs(*[ModelConfig("relu", k) for k in LEVELS])
def test_b2_relu_is_insensitive_to_more_bn_layers(runs, check_claim):
    one = runs.seeds(ModelConfig("relu", 1))
    metrics = [
        ("mean train loss", mean_train_loss, margins.LOSS),
        ("final test accuracy", final_test_accuracy, margins.ACCURACY),
    ]
    result = all_of(
        *[
            (f"bn1 vs bn{k}", similar(one, runs.seeds(ModelConfig("relu", k)), metrics=metrics,
                                      alpha=B2.alpha, labels=("relu-bn1", f"relu-bn{k}")))
            for k in LEVELS[1:]
        ],
        alpha=B2.alpha,
    )
    check_claim(B2, result, n_seeds=len(runs.scale.seeds))
