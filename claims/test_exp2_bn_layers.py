"""Experiment 2 of the article: does training keep improving as BN layers are added?

Four models per activation, with BN after the first 1, 2, 3 and 4 hidden layers; SGD, batch 128.
"""

from __future__ import annotations

import pytest

from fixtures.claims import margins
from fixtures.claims.claim import Claim, Expectation, band_around, claim_params
from fixtures.claims.comparisons import improves_along, similar
from fixtures.claims.conjunction import all_of
from fixtures.claims.metrics import final_test_accuracy, log_mean_train_loss
from fixtures.training.models import ModelConfig

LEVELS = (1, 2, 3, 4)
SIGMOID = tuple(ModelConfig("sigmoid", k) for k in LEVELS)
RELU = tuple(ModelConfig("relu", k) for k in LEVELS)
EVERY_LEVEL_LEARNS = "a trend or an equivalence across the levels needs every level to have learnt"


def _b1(runs):
    return improves_along([runs.seeds(config) for config in SIGMOID], levels=LEVELS, alpha=B1.alpha)


def _b2(runs):
    one = runs.seeds(RELU[0])
    metrics = [
        ("mean train loss (log ratio)", log_mean_train_loss, margins.log_margin(margins.SIMILAR_LOSS_RATIO)),
        ("final test accuracy", final_test_accuracy, margins.SIMILAR_ACCURACY),
    ]
    return all_of(
        *[(f"bn1 vs bn{k}", similar(one, runs.seeds(config), metrics=metrics, alpha=B2.alpha,
                                    labels=("relu-bn1", f"relu-bn{k}")))
          for k, config in zip(LEVELS[1:], RELU[1:])],
        alpha=B2.alpha,
    )


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
    needs=SIGMOID, must_learn=SIGMOID, validity=EVERY_LEVEL_LEARNS, evaluate=_b1,
    expected={
        'ci/lr-tuned': Expectation('inconclusive', 'measured 2026-12-01, 12 seeds: inconclusive, decided by final test accuracy rises: difference -0.001042 (95% CI [-0.003234, +0.00115])', part='final test accuracy rises', effect=-0.00104167, band=band_around(-0.00323355, 0.00115021)),
        'ci/resampled-data': Expectation('supported', 'measured 2026-11-30, 3 seeds: supported, headline part mean train loss falls (log ratio): difference -1.67 (95% CI [-1.701, -1.639])', part='mean train loss falls (log ratio)', effect=-1.67012, band=band_around(-1.70142, -1.63881)),
        'ci/fashion-mnist': Expectation('supported', 'measured 2026-11-30, 3 seeds: supported, headline part mean train loss falls (log ratio): difference -0.7495 (95% CI [-0.7727, -0.7263])', part='mean train loss falls (log ratio)', effect=-0.749502, band=band_around(-0.77274, -0.726265)),
        'ci/bn-before-activation': Expectation('supported', 'measured 2026-11-30, 3 seeds: supported, headline part mean train loss falls (log ratio): difference -1.463 (95% CI [-1.505, -1.42])', part='mean train loss falls (log ratio)', effect=-1.46276, band=band_around(-1.50522, -1.42031)),
        'ci': Expectation('supported', 'measured 2026-11-30, 3 seeds: supported, headline part mean train loss falls (log ratio): difference -1.51 (95% CI [-1.542, -1.478])', part='mean train loss falls (log ratio)', effect=-1.50988, band=band_around(-1.54178, -1.47798)),
    },
)
B2 = Claim(
    id="B2",
    experiment="2: number of BN layers",
    english="With ReLU, the model is insensitive to the number of BN layers: no significant difference between one BN layer and several.",
    turkish="ReLU kullanan model BN katmanlarının sayısına duyarlı görünmemektedir.Bir katman kullanmak ile birden fazla katman kullanmak arasında önemli bir fark yoktur.",
    metric="speed = per-seed mean training loss over epochs (log ratio); effect = per-seed final test accuracy",
    test=(
        "TOST equivalence (paired) of 1 BN layer against each of 2, 3 and 4, on both metrics; all "
        "six must be supported (intersection-union). Never inferred from a non-significant difference"
    ),
    margin=(f"mean training loss within {margins.SIMILAR_LOSS_RATIO - 1:.0%} (ratio in "
            f"[1/{margins.SIMILAR_LOSS_RATIO}, {margins.SIMILAR_LOSS_RATIO}]), final test accuracy within "
            f"±{margins.SIMILAR_ACCURACY * 100:g} point: 'no significant difference' (fixtures/claims/margins.py)"),
    needs=RELU, must_learn=RELU, validity=EVERY_LEVEL_LEARNS, evaluate=_b2,
    expected={
        'ci/lr-tuned': Expectation('supported', 'measured 2026-12-01, 9 seeds: supported, headline part bn1 vs bn2 / mean train loss (log ratio): difference +0.0325 (95% CI [+0.02162, +0.04337])', part='bn1 vs bn2 / mean train loss (log ratio)', effect=0.0324969, band=band_around(0.0216247, 0.0433692)),
        'ci/resampled-data': Expectation('supported', 'measured 2026-11-30, 6 seeds: supported, headline part bn1 vs bn2 / mean train loss (log ratio): difference +0.03935 (95% CI [+0.0239, +0.05481])', part='bn1 vs bn2 / mean train loss (log ratio)', effect=0.0393513, band=band_around(0.0238967, 0.0548058)),
        'ci/fashion-mnist': Expectation('supported', 'measured 2026-11-30, 12 seeds: supported, headline part bn1 vs bn2 / mean train loss (log ratio): difference +0.01158 (95% CI [+0.008869, +0.01429])', part='bn1 vs bn2 / mean train loss (log ratio)', effect=0.0115802, band=band_around(0.00886881, 0.0142917)),
        'ci': Expectation('supported', 'measured 2026-11-30, 6 seeds: supported, headline part bn1 vs bn2 / mean train loss (log ratio): difference +0.02903 (95% CI [+0.01525, +0.04281])', part='bn1 vs bn2 / mean train loss (log ratio)', effect=0.0290304, band=band_around(0.0152478, 0.042813)),
        'ci/bn-before-activation': Expectation('refuted', 'measured 2026-11-30, 6 seeds: refuted, decided by bn1 vs bn3 / mean train loss (log ratio): difference +0.1769 (95% CI [+0.1656, +0.1883])', part='bn1 vs bn3 / mean train loss (log ratio)', effect=0.17692, band=band_around(0.16557, 0.188269)),
    },
)


@pytest.mark.parametrize("claim", claim_params(B1, B2))
def test_bn_layers(claim, judge):
    judge(claim)
