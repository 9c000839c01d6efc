"""The article's method note: observe each layer's output at test time (claims L1, L1e).

The theory part credits BN with keeping the sigmoid units downstream of it out of saturation.
A trained net's later sigmoids saturate more than an untrained one's, so comparing a BN net with
a net that has learnt less confounds BN with training progress. Two readings, two claims:
L1 compares the nets at matched progress (the mechanism), L1e at the end of the same training
(what one sees by "observing the outputs at test time").

Progress is matched on an end-state quantity, the test loss after an epoch (inference mode,
like the saturation probe). Not the epoch's training loss: Keras reports the running mean over
the epoch, so a fast net's first epoch carries its whole descent from 2.3 (measured at ci:
sigmoid BN, epoch 1: training loss 1.69 against a test loss of 0.92 at its end).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from fixtures.claims import margins
from fixtures.claims.claim import Claim, Expectation, band_around, claim_params
from fixtures.claims.conjunction import all_of
from fixtures.claims.metrics import at_epochs, curve
from fixtures.training.models import ModelConfig
from fixtures.stats import directional

WITH_BN, WITHOUT = ModelConfig("sigmoid", 1), ModelConfig("sigmoid", 0)
MATCH_RATIO = margins.SIMILAR_LOSS_RATIO  # matched: test losses within 10%, "similar" losses


def downstream_saturation(run, epoch: int) -> float:
    """Saturated share of hidden layers 2-4 (after the BN) after ``epoch`` (1-based)."""
    return float(np.mean(run.extras["saturation_by_epoch"][epoch - 1][1:]))


def matched_epochs(run_a, run_b) -> tuple[int, int, float]:
    """The pair of epochs (one per run, 1-based) whose test losses are closest, as a log ratio,
    and that ratio (>= 1). Ties go to the earlier epoch of ``run_a``, then of ``run_b``."""
    loss_a, loss_b = curve(run_a, "test_loss"), curve(run_b, "test_loss")
    gaps = np.abs(np.log(loss_a)[:, None] - np.log(loss_b)[None, :])
    e_a, e_b = np.unravel_index(np.argmin(gaps), gaps.shape)
    return int(e_a) + 1, int(e_b) + 1, float(math.exp(gaps[e_a, e_b]))


def _saturation_test(with_bn, without, epochs_a, epochs_b, alpha):
    return directional(
        [downstream_saturation(r, e) for r, e in zip(with_bn, epochs_a)],
        [downstream_saturation(r, e) for r, e in zip(without, epochs_b)],
        alternative="less", paired=True, alpha=alpha, labels=("BN", "no BN"))


def _at_initialisation(runs) -> str:
    """Both arms' downstream saturation before any update, seed by seed, as the reference point."""
    from fixtures.training.trainer import initial_saturation  # builds Keras models: only when judged

    shares = {label: np.mean([np.mean(initial_saturation(config, run.seed, runs.scale)[1:])
                              for run in runs.seeds(config)])
              for label, config in (("BN", WITH_BN), ("no BN", WITHOUT))}
    return "saturation at initialisation: " + ", ".join(f"{k} {v:.4f}" for k, v in shares.items())


def _l1(runs):
    with_bn, without = runs.seeds(WITH_BN), runs.seeds(WITHOUT)
    matched = [matched_epochs(a, b) for a, b in zip(with_bn, without)]
    epochs_a, epochs_b = [m[0] for m in matched], [m[1] for m in matched]
    result = _saturation_test(with_bn, without, epochs_a, epochs_b, L1.alpha)
    loose = [f"seed {run.seed}: {ratio:.2f}" for run, (_, _, ratio) in zip(with_bn, matched) if ratio > MATCH_RATIO]
    unmatched = (f"no epochs with test losses within a factor {MATCH_RATIO:g} ({', '.join(loose)}): "
                 "progress cannot be matched at epoch granularity") if loose else None
    notes = (
        f"matched epochs BN {epochs_a}, no BN {epochs_b} (test-loss ratio up to "
        f"{max(m[2] for m in matched):.3f}); test loss there BN {np.mean(at_epochs(with_bn, 'test_loss', epochs_a)):.3f}, "
        f"no BN {np.mean(at_epochs(without, 'test_loss', epochs_b)):.3f}; test accuracy there BN "
        f"{np.mean(at_epochs(with_bn, 'test_accuracy', epochs_a)):.3f}, no BN {np.mean(at_epochs(without, 'test_accuracy', epochs_b)):.3f}",
        _at_initialisation(runs),
    )
    return all_of(("saturation at matched progress", result), alpha=L1.alpha, notes=notes, untestable=unmatched)


def _l1_end(runs):
    with_bn, without = runs.seeds(WITH_BN), runs.seeds(WITHOUT)
    last = with_bn[0].epochs
    return _saturation_test(with_bn, without, [last] * len(with_bn), [last] * len(without), L1E.alpha)


SATURATED = (
    "per-seed saturated share of the outputs of hidden layers 2-4 (the layers after the BN) on "
    "the first 2,000 test images, a sigmoid output counting as saturated below 0.05 or above "
    "0.95, averaged over the three layers"
)

L1 = Claim(
    id="L1",
    experiment="method note: layer outputs at test time",
    english="With BN, the sigmoid units downstream of BN are kept out of saturation.",
    turkish="Bazı durumlarda, test aşamasında her katmanın çıktısını alın ve sonuçları gözlemleyin.",
    metric=(SATURATED + "; at matched progress: per seed, the pair of epochs (one per arm) whose "
            "test losses are closest, which must be within a factor 1.1 ('similar' losses), else "
            "the claim is untestable at this scale (more seeds cannot make epochs finer)"),
    test="paired one-sided t-test, BN model (BN after layer 1) below the model without BN, at the matched epochs",
    margin="0: any reduction",
    needs=(WITH_BN, WITHOUT), must_learn=(WITH_BN, WITHOUT),
    validity="an untrained net's sigmoids all sit near 0.5: saturation compares only between nets that learnt",
    evaluate=_l1,
    expected={
        'article': Expectation('untestable', 'measured 2026-11-30, 3 seeds: untestable at this scale: no epochs with test losses within a factor 1.1 (seed 2: 1.13): progress cannot be matched at epoch granularity', part=''),
        'ci/resampled-data': Expectation('untestable', 'measured 2026-11-30, 3 seeds: untestable at this scale: no epochs with test losses within a factor 1.1 (seed 2: 1.13): progress cannot be matched at epoch granularity', part=''),
        'ci/fashion-mnist': Expectation('supported', 'measured 2026-11-30, 9 seeds: supported, headline part saturation at matched progress: difference -0.03591 (95% CI [-0.04707, -0.02475])', part='saturation at matched progress', effect=-0.0359096, band=band_around(-0.0470705, -0.0247488)),
        'ci/bn-before-activation': Expectation('inconclusive', 'measured 2026-11-30, 12 seeds: inconclusive, decided by saturation at matched progress: difference -0.0001337 (95% CI [-0.0004279, +0.0001605])', part='saturation at matched progress', effect=-0.000133681, band=band_around(-0.000427909, 0.000160548)),
        'ci': Expectation('untestable', 'measured 2026-11-30, 3 seeds: untestable at this scale: no epochs with test losses within a factor 1.1 (seed 2: 1.13): progress cannot be matched at epoch granularity', part=''),
    },
)


L1E = Claim(
    id="L1e",
    experiment="method note: layer outputs at test time",
    english="(L1 at the end of the same training, as one observes it) With BN, the sigmoid units downstream of BN are kept out of saturation.",
    turkish=L1.turkish,
    metric=SATURATED + "; after the last epoch of the same training (more trained nets saturate more)",
    test="paired one-sided t-test, BN model (BN after layer 1) below the model without BN, after the last epoch",
    margin="0: any reduction",
    needs=(WITH_BN, WITHOUT), must_learn=(WITH_BN, WITHOUT),
    validity=L1.validity,
    evaluate=_l1_end,
    expected={
        'ci/fashion-mnist': Expectation('refuted', 'measured 2026-11-30, 6 seeds: refuted, decided by effect: difference +0.02228 (95% CI [+0.01638, +0.02817])', part='', effect=0.022278, band=band_around(0.0163829, 0.0281731)),
        'ci/resampled-data': Expectation('refuted', 'measured 2026-11-30, 3 seeds: refuted, decided by effect: difference +0.1059 (95% CI [+0.09181, +0.12])', part='', effect=0.105905, band=band_around(0.0918117, 0.119998)),
        'ci/bn-before-activation': Expectation('refuted', 'measured 2026-11-30, 6 seeds: refuted, decided by effect: difference +0.008985 (95% CI [+0.006575, +0.01139])', part='', effect=0.00898481, band=band_around(0.00657527, 0.0113943)),
        'ci': Expectation('refuted', 'measured 2026-11-30, 3 seeds: refuted, decided by effect: difference +0.1046 (95% CI [+0.09568, +0.1136])', part='', effect=0.104643, band=band_around(0.0956788, 0.113608)),
        'article': Expectation('refuted', 'measured 2026-11-30, 3 seeds: refuted, decided by effect: difference +0.1026 (95% CI [+0.09021, +0.1151])', part='', effect=0.102637, band=band_around(0.0902066, 0.115068)),
    },
)


@pytest.mark.parametrize("claim", claim_params(L1, L1E))
def test_layer_outputs(claim, judge):
    judge(claim)
