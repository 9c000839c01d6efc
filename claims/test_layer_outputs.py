"""The article's method note: observe each layer's output at test time (claim L1).

The theory part credits BN with keeping the sigmoid units downstream of it out of saturation.
A trained net's later sigmoids saturate more than an untrained one's, so comparing a BN net with
a net that has learnt less confounds BN with training progress: L1 is judged at matched
progress, and at the final epoch besides.
"""

from __future__ import annotations

import numpy as np
import pytest

from fixtures.claims.claim import Claim, Expectation, band_around, claim_params
from fixtures.claims.conjunction import all_of
from fixtures.training.models import ModelConfig
from fixtures.stats import directional

WITH_BN, WITHOUT = ModelConfig("sigmoid", 1), ModelConfig("sigmoid", 0)


def downstream_saturation(run, epoch: int) -> float:
    """Saturated share of hidden layers 2-4 (after the BN) after ``epoch`` (1-based)."""
    return float(np.mean(run.extras["saturation_by_epoch"][epoch - 1][1:]))


def matched_epochs(run_a, run_b) -> tuple[int, int]:
    """Each run's first epoch whose training loss is at most the loss both runs reach.

    The common level is the higher of the two final training losses, so both reach it within
    the budget; at epoch granularity the faster arm may pass below it within its epoch.
    """
    level = max(run_a.train_loss[-1], run_b.train_loss[-1])
    first = [next(e for e, loss in enumerate(run.train_loss, start=1) if loss <= level)
             for run in (run_a, run_b)]
    return first[0], first[1]


def _l1(runs):
    with_bn, without = runs.seeds(WITH_BN), runs.seeds(WITHOUT)
    matched = [matched_epochs(a, b) for a, b in zip(with_bn, without)]
    last = with_bn[0].epochs

    def compare(epochs_a, epochs_b):
        return directional(
            [downstream_saturation(r, e) for r, e in zip(with_bn, epochs_a)],
            [downstream_saturation(r, e) for r, e in zip(without, epochs_b)],
            alternative="less", paired=True, alpha=L1.alpha, labels=("BN", "no BN"))

    return all_of(
        ("matched training loss", compare([a for a, _ in matched], [b for _, b in matched])),
        ("final epoch", compare([last] * len(with_bn), [last] * len(without))),
        alpha=L1.alpha,
    )


L1 = Claim(
    id="L1",
    experiment="method note: layer outputs at test time",
    english="With BN, the sigmoid units downstream of BN are kept out of saturation.",
    turkish="Bazı durumlarda, test aşamasında her katmanın çıktısını alın ve sonuçları gözlemleyin.",
    metric=(
        "per-seed saturated share of the test-set outputs of hidden layers 2-4 (the layers after "
        "the BN), a sigmoid output counting as saturated below 0.05 or above 0.95, averaged "
        "over the three layers; at matched progress (each arm's first epoch whose training loss "
        "is at most the higher of the two arms' final losses, per seed) AND after the last epoch"
    ),
    test="paired one-sided t-tests, BN model (BN after layer 1) below the model without BN, at both points",
    margin="0: any reduction",
    needs=(WITH_BN, WITHOUT), must_learn=(WITH_BN, WITHOUT),
    validity="an untrained net's sigmoids all sit near 0.5: saturation compares only between nets that learnt",
    evaluate=_l1,
    expected={
        'ci/resampled-data': Expectation('refuted', 'measured 2026-11-27, 3 seeds: refuted, decided by final epoch: difference +0.1059 (95% CI [+0.09181, +0.12])', part='final epoch', effect=0.105905, band=band_around(0.0918117, 0.119998)),
        'ci/lr-tuned': Expectation('refuted', 'measured 2026-11-27, 3 seeds: refuted, decided by final epoch: difference +0.2848 (95% CI [+0.2692, +0.3004])', part='final epoch', effect=0.284797, band=band_around(0.269213, 0.300381)),
        'ci/fashion-mnist': Expectation('refuted', 'measured 2026-11-27, 6 seeds: refuted, decided by final epoch: difference +0.02228 (95% CI [+0.01638, +0.02817])', part='final epoch', effect=0.022278, band=band_around(0.0163829, 0.0281731)),
        'ci/bn-before-activation': Expectation('refuted', 'measured 2026-11-27, 6 seeds: refuted, decided by final epoch: difference +0.008985 (95% CI [+0.006575, +0.01139])', part='final epoch', effect=0.00898481, band=band_around(0.00657527, 0.0113943)),
        'ci': Expectation('refuted', 'measured 2026-11-29, 3 seeds: refuted, decided by final epoch: difference +0.1046 (95% CI [+0.09568, +0.1136])', part='final epoch', effect=0.104643, band=band_around(0.0956788, 0.113608)),
        'article': Expectation('refuted', 'measured 2026-11-27, 5 seeds: refuted, decided by final epoch: difference +0.1033 (95% CI [+0.09679, +0.1098])', part='final epoch', effect=0.103302, band=band_around(0.0967949, 0.10981)),
    },
)


@pytest.mark.parametrize("claim", claim_params(L1))
def test_layer_outputs(claim, judge):
    judge(claim)
