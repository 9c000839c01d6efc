"""Experiment 3 of the article: adaptive learning rate (Adam) versus BN, sigmoid only.

Four models: SGD, SGD+BN, Adam, Adam+BN; both optimizers at learning rate 0.01; batch 128.
"""

from __future__ import annotations

import pytest

from fixtures.claims import margins
from fixtures.claims.claim import Claim, Expectation, band_around, claim_params
from fixtures.claims.comparisons import FASTER_METRIC, FASTER_TEST, faster, similar
from fixtures.claims.metrics import log_mean_train_loss, mean_test_accuracy
from fixtures.training.models import ModelConfig

SGD_BN = ModelConfig("sigmoid", 1, "sgd")
ADAM_BN = ModelConfig("sigmoid", 1, "adam")
ADAM = ModelConfig("sigmoid", 0, "adam")
BOTH_LEARN = "both arms must have learnt for their curves to be compared"


def _c1(runs):
    return faster(runs.seeds(ADAM_BN), runs.seeds(SGD_BN), alpha=C1.alpha,
                  labels=(ADAM_BN.label, SGD_BN.label))


def _c2(runs):
    return similar(runs.seeds(ADAM), runs.seeds(SGD_BN), alpha=C2.alpha,
                   labels=(ADAM.label, SGD_BN.label), metrics=[
                       ("mean train loss (log ratio)", log_mean_train_loss,
                        margins.log_margin(margins.SIMILAR_LOSS_RATIO)),
                       ("mean test accuracy", mean_test_accuracy, margins.SIMILAR_ACCURACY),
                   ])


C1 = Claim(
    id="C1",
    experiment="3: adaptive learning rate vs BN",
    english="Adding Adam to the BN model speeds its convergence further (Adam+BN beats SGD+BN).",
    turkish="BN kullanarak modele Adam algoritmasının eklenmesinin modelin yakınsamasını daha da hızlandırdığını",
    metric=FASTER_METRIC,
    test=FASTER_TEST,
    margin="0: the article claims faster, not much faster",
    needs=(ADAM_BN, SGD_BN), must_learn=(ADAM_BN, SGD_BN), validity=BOTH_LEARN, evaluate=_c1,
    expected={
        'ci/lr-tuned': Expectation('supported', 'measured 2026-12-01, 6 seeds: supported, headline part mean train loss (log ratio): difference -0.1588 (95% CI [-0.1762, -0.1414])', part='mean train loss (log ratio)', effect=-0.158769, band=band_around(-0.176187, -0.141352)),
        'ci/resampled-data': Expectation('supported', 'measured 2026-11-30, 3 seeds: supported, headline part mean train loss (log ratio): difference -1.659 (95% CI [-1.717, -1.601])', part='mean train loss (log ratio)', effect=-1.65887, band=band_around(-1.71705, -1.6007)),
        'ci/fashion-mnist': Expectation('refuted', 'measured 2026-11-30, 12 seeds: refuted, decided by mean test accuracy: difference -0.03766 (95% CI [-0.05272, -0.02259])', part='mean test accuracy', effect=-0.0376569, band=band_around(-0.0527249, -0.022589)),
        'ci/bn-before-activation': Expectation('supported', 'measured 2026-11-30, 6 seeds: supported, headline part mean train loss (log ratio): difference -1.639 (95% CI [-1.683, -1.595])', part='mean train loss (log ratio)', effect=-1.63927, band=band_around(-1.68337, -1.59517)),
        'ci': Expectation('supported', 'measured 2026-11-30, 3 seeds: supported, headline part mean train loss (log ratio): difference -1.53 (95% CI [-1.574, -1.486])', part='mean train loss (log ratio)', effect=-1.53014, band=band_around(-1.57439, -1.48589)),
    },
)
C2 = Claim(
    id="C2",
    experiment="3: adaptive learning rate vs BN",
    english="Adding Adam to the model without BN gives an effect similar to BN (Adam without BN is about as good as SGD with BN).",
    turkish="BN'siz modele Adam algoritmasının eklenmesinin de BN ile benzer etkiler sağladığını görüyoruz.",
    metric=("per-seed mean training loss over epochs (log ratio) AND per-seed mean test accuracy "
            "over epochs (the curves the figure compares)"),
    test="TOST equivalence (paired) of Adam without BN against SGD with BN on both metrics; both must be supported",
    margin=(f"mean training loss within {margins.SIMILAR_LOSS_RATIO - 1:.0%} (ratio), mean test accuracy "
            f"within ±{margins.SIMILAR_ACCURACY * 100:g} point: 'similar' (fixtures/claims/margins.py)"),
    needs=(ADAM, SGD_BN), must_learn=(ADAM, SGD_BN), validity=BOTH_LEARN, evaluate=_c2,
    expected={
        'ci/lr-tuned': Expectation('refuted', 'measured 2026-12-01, 12 seeds: refuted, decided by mean train loss (log ratio): difference +0.1353 (95% CI [+0.1192, +0.1514])', part='mean train loss (log ratio)', effect=0.13528, band=band_around(0.119198, 0.151361)),
        'ci/fashion-mnist': Expectation('refuted', 'measured 2026-11-30, 6 seeds: refuted, decided by mean train loss (log ratio): difference -0.3314 (95% CI [-0.3774, -0.2854])', part='mean train loss (log ratio)', effect=-0.331391, band=band_around(-0.377381, -0.285401)),
        'ci/resampled-data': Expectation('refuted', 'measured 2026-11-30, 3 seeds: refuted, decided by mean test accuracy: difference +0.0696 (95% CI [+0.06558, +0.07362])', part='mean test accuracy', effect=0.0696, band=band_around(0.065575, 0.0736249)),
        'ci/bn-before-activation': Expectation('refuted', 'measured 2026-11-30, 3 seeds: refuted, decided by mean train loss (log ratio): difference -1.921 (95% CI [-2.147, -1.694])', part='mean train loss (log ratio)', effect=-1.92051, band=band_around(-2.14704, -1.69398)),
        'ci': Expectation('refuted', 'measured 2026-11-30, 3 seeds: refuted, decided by mean test accuracy: difference +0.07142 (95% CI [+0.06632, +0.07653])', part='mean test accuracy', effect=0.0714222, band=band_around(0.0663164, 0.076528)),
        'article': Expectation('refuted', 'measured 2026-11-27, 5 seeds: refuted, decided by mean test accuracy: difference +0.05457 (95% CI [+0.05315, +0.05599])', part='mean test accuracy', effect=0.05457, band=band_around(0.0531522, 0.0559878)),
    },
)


@pytest.mark.parametrize("claim", claim_params(C1, C2))
def test_adaptive(claim, judge):
    judge(claim)
