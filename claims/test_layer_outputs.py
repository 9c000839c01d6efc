"""The article's method note: observe each layer's output at test time (claims L1, L1e).

The theory part credits BN with keeping the sigmoid units downstream of it out of saturation.
A trained net's later sigmoids saturate more than an untrained one's, so comparing a BN net with
a net that has learnt less confounds BN with training progress. Two readings, two claims:
L1 compares the nets at matched progress (the mechanism), L1e at the end of the same training
(what one sees by "observing the outputs at test time").

Progress is matched on an end-state quantity, the test loss (inference mode, like the saturation
probe). Not the epoch's training loss: Keras reports the running mean over the epoch, so a fast
net's first epoch carries its whole descent from 2.3 (measured at ci: sigmoid BN, epoch 1:
training loss 1.69 against a test loss of 0.92 at its end).

Matched within epochs, not only at their ends. At epoch granularity L1 was untestable on MNIST
(2026-11-30, ci and article scale): the BN net's first epoch already ends below the test loss
the net without BN reaches at its last (seed 2: 1.13 apart), so the point where their progress
meets lies inside the BN net's first epoch. L1's arms therefore read test loss, accuracy and
saturation after every tenth of each epoch's batches (``CHECKPOINTS``; runs keyed apart from the
other claims'). Matched at the end of the arm that is behind: with checkpoints, early points of
both arms sit near the untrained loss of 2.3 (the net without BN on its plateau) and can match
closely while neither has learnt; the behind arm's end is the most progress both reach.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from fixtures.claims import margins
from fixtures.claims.claim import Claim, Expectation, band_around, claim_params
from fixtures.claims.conjunction import all_of
from fixtures.training.models import ModelConfig
from fixtures.stats import directional

CHECKPOINTS = 10  # per epoch: 47 optimizer steps apart at batch 128 on 60,000 images
WITH_BN, WITHOUT = ModelConfig("sigmoid", 1), ModelConfig("sigmoid", 0)  # L1e's: read at epoch ends
WITH_BN_READ, WITHOUT_READ = (ModelConfig("sigmoid", k, checkpoints=CHECKPOINTS) for k in (1, 0))  # L1's
MATCH_RATIO = margins.SIMILAR_LOSS_RATIO  # matched: test losses within 10%, "similar" losses


def downstream(by_layer) -> float:
    """The saturated share of hidden layers 2-4 (after the BN), from one reading of every layer."""
    return float(np.mean(by_layer[1:]))


def downstream_saturation(run, epoch: int) -> float:
    """``downstream`` after ``epoch`` (1-based)."""
    return downstream(run.extras["saturation_by_epoch"][epoch - 1])


def checkpoint_curve(run, name: str) -> np.ndarray:
    """A checkpointed run's ``name`` (step, test_loss, test_accuracy) at each checkpoint, or the
    ``downstream`` saturation for ``"saturation"``; shape (checkpoints,)."""
    marks = run.extras["checkpoints"]
    if name == "saturation":
        return np.array([downstream(layers) for layers in marks["saturation"]])
    return np.asarray(marks[name], dtype=float)


def matched_checkpoints(run_a, run_b) -> tuple[int, int, float]:
    """(checkpoint of ``run_a``, checkpoint of ``run_b``, their test-loss ratio >= 1), 0-based:
    the last checkpoint of the run whose final test loss is higher (the one behind), against the
    other's checkpoint with the closest test loss (as a log ratio; a tie goes to the earlier)."""
    loss_a, loss_b = np.log(checkpoint_curve(run_a, "test_loss")), np.log(checkpoint_curve(run_b, "test_loss"))
    if loss_a[-1] >= loss_b[-1]:
        i_a, i_b = len(loss_a) - 1, int(np.argmin(np.abs(loss_b - loss_a[-1])))
    else:
        i_a, i_b = int(np.argmin(np.abs(loss_a - loss_b[-1]))), len(loss_b) - 1
    return i_a, i_b, float(math.exp(abs(loss_a[i_a] - loss_b[i_b])))


def _at(runs, name: str, points) -> np.ndarray:
    """Each seed's ``checkpoint_curve`` ``name`` at its checkpoint in ``points``."""
    return np.array([checkpoint_curve(run, name)[i] for run, i in zip(runs, points)])


def _saturation_test(with_bn, without, alpha):
    """Paired one-sided t-test on the seeds' (BN, no BN) downstream saturation."""
    return directional(with_bn, without, alternative="less", paired=True, alpha=alpha, labels=("BN", "no BN"))


def _at_initialisation(runs) -> str:
    """Both arms' downstream saturation before any update, seed by seed, as the reference point."""
    from fixtures.training.trainer import initial_saturation  # builds Keras models: only when judged

    shares = {label: np.mean([np.mean(initial_saturation(config, run.seed, runs.scale)[1:])
                              for run in runs.seeds(config)])
              for label, config in (("BN", WITH_BN_READ), ("no BN", WITHOUT_READ))}
    return "saturation at initialisation: " + ", ".join(f"{k} {v:.4f}" for k, v in shares.items())


def _l1(runs):
    with_bn, without = runs.seeds(WITH_BN_READ), runs.seeds(WITHOUT_READ)
    matched = [matched_checkpoints(a, b) for a, b in zip(with_bn, without)]
    points_a, points_b = [m[0] for m in matched], [m[1] for m in matched]
    result = _saturation_test(list(_at(with_bn, "saturation", points_a)), list(_at(without, "saturation", points_b)),
                              L1.alpha)
    loose = [f"seed {run.seed}: {ratio:.2f}" for run, (_, _, ratio) in zip(with_bn, matched) if ratio > MATCH_RATIO]
    unmatched = (f"no checkpoints with test losses within a factor {MATCH_RATIO:g} ({', '.join(loose)}): "
                 "progress cannot be matched") if loose else None
    notes = (
        f"matched at steps BN {_at(with_bn, 'step', points_a).astype(int).tolist()}, no BN "
        f"{_at(without, 'step', points_b).astype(int).tolist()} (test-loss ratio up to {max(m[2] for m in matched):.3f}); "
        f"test loss there BN {_at(with_bn, 'test_loss', points_a).mean():.3f}, "
        f"no BN {_at(without, 'test_loss', points_b).mean():.3f}; test accuracy there BN "
        f"{_at(with_bn, 'test_accuracy', points_a).mean():.3f}, no BN {_at(without, 'test_accuracy', points_b).mean():.3f}",
        _at_initialisation(runs),
    )
    return all_of(("saturation at matched progress", result), alpha=L1.alpha, notes=notes, untestable=unmatched)


def _l1_end(runs):
    with_bn, without = runs.seeds(WITH_BN), runs.seeds(WITHOUT)
    last = with_bn[0].epochs
    return _saturation_test([downstream_saturation(r, last) for r in with_bn],
                            [downstream_saturation(r, last) for r in without], L1E.alpha)


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
    metric=(SATURATED + f"; at matched progress: both arms read after every 1/{CHECKPOINTS} of each "
            "epoch's batches; per seed, the arm with the higher final test loss is matched at its end "
            "with the other arm's checkpoint of closest test loss, which must be within a factor 1.1 "
            "('similar' losses), else the claim is untestable at this scale"),
    test="paired one-sided t-test, BN model (BN after layer 1) below the model without BN, at the matched checkpoints",
    margin="0: any reduction",
    needs=(WITH_BN_READ, WITHOUT_READ), must_learn=(WITH_BN_READ, WITHOUT_READ),
    validity="an untrained net's sigmoids all sit near 0.5: saturation compares only between nets that learnt",
    evaluate=_l1,
    expected={  # pinned by python -m reports.expectations --write, one entry per line
        'ci/lr-tuned': Expectation('refuted', 'measured 2026-12-01, 3 seeds: refuted, decided by saturation at matched progress: difference +0.2699 (95% CI [+0.25, +0.2899])', part='saturation at matched progress', effect=0.269939, band=band_around(0.250003, 0.289875)),
        'article': Expectation('refuted', 'measured 2026-11-30, 3 seeds: refuted, decided by saturation at matched progress: difference +0.04253 (95% CI [+0.03773, +0.04734])', part='saturation at matched progress', effect=0.042531, band=band_around(0.0377263, 0.0473358)),
        'ci/resampled-data': Expectation('refuted', 'measured 2026-11-30, 6 seeds: refuted, decided by saturation at matched progress: difference +0.00869 (95% CI [+0.001986, +0.01539])', part='saturation at matched progress', effect=0.00868978, band=band_around(0.00198619, 0.0153934)),
        'ci/fashion-mnist': Expectation('supported', 'measured 2026-11-30, 3 seeds: supported, headline part saturation at matched progress: difference -0.0445 (95% CI [-0.06353, -0.02547])', part='saturation at matched progress', effect=-0.0445039, band=band_around(-0.063534, -0.0254738)),
        'ci/bn-before-activation': Expectation('supported', 'measured 2026-11-30, 6 seeds: supported, headline part saturation at matched progress: difference -0.002629 (95% CI [-0.003682, -0.001576])', part='saturation at matched progress', effect=-0.00262912, band=band_around(-0.00368204, -0.00157621)),
        'ci': Expectation('inconclusive', 'measured 2026-11-30, 12 seeds: inconclusive, decided by saturation at matched progress: difference +0.007215 (95% CI [+0.00339, +0.01104])', part='saturation at matched progress', effect=0.00721512, band=band_around(0.00338975, 0.0110405)),
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
        'ci/lr-tuned': Expectation('refuted', 'measured 2026-12-01, 3 seeds: refuted, decided by effect: difference +0.2848 (95% CI [+0.2692, +0.3004])', part='', effect=0.284797, band=band_around(0.269213, 0.300381)),
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
