"""Experiment 3 of the article: adaptive learning rate (Adam) versus BN, sigmoid only.

Four models: SGD, SGD+BN, Adam, Adam+BN; both optimizers at learning rate 0.01; batch 128.
"""

from __future__ import annotations

import pytest

from fixtures import margins
from fixtures.claim import Claim, Expectation
from fixtures.comparisons import FASTER_METRIC, FASTER_TEST, faster, similar
from fixtures.metrics import mean_test_accuracy, mean_train_loss
from fixtures.models import ModelConfig

SGD_BN = ModelConfig("sigmoid", 1, "sgd")
ADAM_BN = ModelConfig("sigmoid", 1, "adam")
ADAM = ModelConfig("sigmoid", 0, "adam")

C1 = Claim(
    id="C1",
    experiment="3: adaptive learning rate vs BN",
    english="Adding Adam to the BN model speeds its convergence further (Adam+BN beats SGD+BN).",
    turkish="BN kullanarak modele Adam algoritmasının eklenmesinin modelin yakınsamasını daha da hızlandırdığını",
    metric=FASTER_METRIC,
    test=FASTER_TEST,
    margin="0: the article claims faster, not much faster",
)
C2 = Claim(
    id="C2",
    experiment="3: adaptive learning rate vs BN",
    english="Adding Adam to the model without BN gives an effect similar to BN (Adam without BN is about as good as SGD with BN).",
    turkish="BN'siz modele Adam algoritmasının eklenmesinin de BN ile benzer etkiler sağladığını görüyoruz.",
    metric="per-seed mean training loss over epochs AND per-seed mean test accuracy over epochs (the curves the figure compares)",
    test="TOST equivalence (paired) of Adam without BN against SGD with BN on both metrics; both must be supported",
    margin=f"±{margins.LOSS} nats mean training loss, ±{margins.ACCURACY:.0%} mean test accuracy (fixtures/margins.py)",
    expected={
        "ci": Expectation("refuted", (
            "measured 2026-11-26 (one TensorFlow thread per run), 6 seeds: Adam without BN is far "
            "better than SGD with BN, not similar: mean train loss 0.286 vs 0.983 (diff -0.697, 90% "
            "CI [-0.726, -0.668]), mean test accuracy 0.953 vs 0.803 (diff +0.150, 90% CI [+0.139, "
            "+0.160]); margins "
            "0.10 / 0.02"
        )),
        "article": Expectation("refuted", (
            "measured 2026-11-26, 5 seeds: Adam without BN is far better than SGD with BN, not "
            "similar: mean train loss 0.124 vs 0.435 (diff -0.311, 90% CI [-0.323, -0.299]), "
            "mean test accuracy 0.969 vs 0.914 (diff +0.0546, 90% CI [+0.0535, +0.0557]); "
            "margins 0.10 / 0.02"
        )),
    },
)


@pytest.mark.claim(C1)
@pytest.mark.needs_runs(ADAM_BN, SGD_BN)
def test_c1_adam_speeds_up_the_bn_model(runs, check_claim):
    result = faster(runs.seeds(ADAM_BN), runs.seeds(SGD_BN), alpha=C1.alpha,
                    labels=(ADAM_BN.label, SGD_BN.label))
    check_claim(C1, result, n_seeds=len(runs.scale.seeds))


@pytest.mark.claim(C2)
@pytest.mark.needs_runs(ADAM, SGD_BN)
def test_c2_adam_without_bn_is_like_sgd_with_bn(runs, check_claim):
    result = similar(runs.seeds(ADAM), runs.seeds(SGD_BN), alpha=C2.alpha,
                     labels=(ADAM.label, SGD_BN.label), metrics=[
                         ("mean train loss", mean_train_loss, margins.LOSS),
                         ("mean test accuracy", mean_test_accuracy, margins.ACCURACY),
                     ])
    check_claim(C2, result, n_seeds=len(runs.scale.seeds))
