"""Experiment 1 of the article: does BN accelerate training?

{sigmoid, relu} x {no BN, BN after the first hidden layer}, SGD (lr 0.01, momentum 0.9,
Nesterov), batch 128. Runs of one seed share initial Dense weights and batch order across these
configurations, so the comparisons are paired by seed.
"""

from __future__ import annotations

import pytest

from fixtures.claims import margins
from fixtures.claims.claim import Claim, Expectation, band_around, claim_params
from fixtures.claims.comparisons import FASTER_METRIC, FASTER_TEST, faster
from fixtures.training.models import ModelConfig

SIGMOID, SIGMOID_BN = ModelConfig("sigmoid", 0), ModelConfig("sigmoid", 1)
RELU, RELU_BN = ModelConfig("relu", 0), ModelConfig("relu", 1)
BOTH_LEARN = "'converges faster' compares two learning curves: an arm that never left its plateau has no speed to compare"


def _faster(fast, slow, *, loss_ratio=1.0, accuracy_margin=0.0, alpha=0.05):
    def evaluate(runs):
        return faster(runs.seeds(fast), runs.seeds(slow), loss_ratio=loss_ratio,
                      accuracy_margin=accuracy_margin, alpha=alpha, labels=(fast.label, slow.label))
    return evaluate


A1 = Claim(
    id="A1",
    experiment="1: BN accelerates training",
    english="With sigmoid hidden units, adding just one BN layer makes the model converge much faster than without it.",
    turkish="Şekilde görüldüğü gibi, sadece bir BN katmanının eklendiği ve modelin yakınsama hızının eklenmeden çok daha hızlı hale geldiği görülebilir.",
    metric=FASTER_METRIC,
    test=FASTER_TEST,
    margin=(f"'much': mean training loss below {margins.MUCH_LOSS_RATIO:.0%} of the slower arm's and "
            f"mean test accuracy more than {margins.MUCH_ACCURACY * 100:g} points higher (fixtures/claims/margins.py)"),
    needs=(SIGMOID_BN, SIGMOID), must_learn=(SIGMOID_BN, SIGMOID), validity=BOTH_LEARN,
    evaluate=_faster(SIGMOID_BN, SIGMOID, loss_ratio=margins.MUCH_LOSS_RATIO,
                     accuracy_margin=margins.MUCH_ACCURACY),
    expected={
        'ci/lr-tuned': Expectation('inconclusive', 'measured 2026-12-01, 12 seeds: inconclusive, decided by mean test accuracy: difference +0.01967 (95% CI [+0.01742, +0.02191])', part='mean test accuracy', effect=0.0196667, band=band_around(0.0174219, 0.0219115)),
        'ci/resampled-data': Expectation('supported', 'measured 2026-11-30, 3 seeds: supported, headline part mean train loss (log ratio): difference -1.211 (95% CI [-1.232, -1.19])', part='mean train loss (log ratio)', effect=-1.21062, band=band_around(-1.23151, -1.18973)),
        'ci/fashion-mnist': Expectation('supported', 'measured 2026-11-30, 3 seeds: supported, headline part mean train loss (log ratio): difference -0.7774 (95% CI [-0.8118, -0.743])', part='mean train loss (log ratio)', effect=-0.77737, band=band_around(-0.811761, -0.742978)),
        'ci/bn-before-activation': Expectation('supported', 'measured 2026-11-30, 3 seeds: supported, headline part mean train loss (log ratio): difference -0.5423 (95% CI [-0.5777, -0.507])', part='mean train loss (log ratio)', effect=-0.542344, band=band_around(-0.577729, -0.506959)),
        'ci': Expectation('supported', 'measured 2026-11-30, 3 seeds: supported, headline part mean train loss (log ratio): difference -1.199 (95% CI [-1.224, -1.173])', part='mean train loss (log ratio)', effect=-1.19858, band=band_around(-1.22392, -1.17325)),
    },
)
A2 = Claim(
    id="A2",
    experiment="1: BN accelerates training",
    english="With ReLU hidden units, BN speeds convergence further on top of ReLU.",
    turkish="BN yakınsamayı ReLU temelinde daha da hızlandırabilir.",
    metric=FASTER_METRIC,
    test=FASTER_TEST,
    margin="0: the article claims faster, not much faster",
    needs=(RELU_BN, RELU), must_learn=(RELU_BN, RELU), validity=BOTH_LEARN,
    evaluate=_faster(RELU_BN, RELU),
    expected={
        'ci/lr-tuned': Expectation('supported', 'measured 2026-12-01, 6 seeds: supported, headline part mean train loss (log ratio): difference -0.2942 (95% CI [-0.3152, -0.2733])', part='mean train loss (log ratio)', effect=-0.294232, band=band_around(-0.315186, -0.273278)),
        'ci/resampled-data': Expectation('supported', 'measured 2026-11-30, 6 seeds: supported, headline part mean train loss (log ratio): difference -0.8307 (95% CI [-0.8523, -0.8091])', part='mean train loss (log ratio)', effect=-0.830716, band=band_around(-0.852337, -0.809095)),
        'ci/fashion-mnist': Expectation('inconclusive', 'measured 2026-11-30, 12 seeds: inconclusive, decided by mean test accuracy: difference +0.001858 (95% CI [-0.0001756, +0.003892])', part='mean test accuracy', effect=0.00185833, band=band_around(-0.000175593, 0.00389226)),
        'ci/bn-before-activation': Expectation('supported', 'measured 2026-11-30, 6 seeds: supported, headline part mean train loss (log ratio): difference -0.5049 (95% CI [-0.5202, -0.4896])', part='mean train loss (log ratio)', effect=-0.504888, band=band_around(-0.520173, -0.489603)),
        'ci': Expectation('supported', 'measured 2026-11-30, 3 seeds: supported, headline part mean train loss (log ratio): difference -0.7071 (95% CI [-0.7615, -0.6527])', part='mean train loss (log ratio)', effect=-0.707103, band=band_around(-0.761491, -0.652715)),
    },
)
A3 = Claim(
    id="A3",
    experiment="1: BN accelerates training",
    english="ReLU instead of sigmoid (no BN) increases convergence speed.",
    turkish="\"Ortak Gizli Birimler\" de sigmoid yerine ReLU kullandık ve yakınsama hızı arttı",
    metric=FASTER_METRIC,
    test=FASTER_TEST,
    margin="0: the article claims faster, not much faster",
    needs=(RELU, SIGMOID), must_learn=(RELU, SIGMOID), validity=BOTH_LEARN,
    evaluate=_faster(RELU, SIGMOID),
    expected={
        'ci/lr-tuned': Expectation('supported', 'measured 2026-12-01, 6 seeds: supported, headline part mean train loss (log ratio): difference -1.314 (95% CI [-1.368, -1.26])', part='mean train loss (log ratio)', effect=-1.31426, band=band_around(-1.36832, -1.26021)),
        'ci/resampled-data': Expectation('supported', 'measured 2026-11-30, 3 seeds: supported, headline part mean train loss (log ratio): difference -2.757 (95% CI [-2.803, -2.712])', part='mean train loss (log ratio)', effect=-2.75748, band=band_around(-2.80291, -2.71205)),
        'ci/fashion-mnist': Expectation('supported', 'measured 2026-11-30, 3 seeds: supported, headline part mean train loss (log ratio): difference -1.413 (95% CI [-1.454, -1.373])', part='mean train loss (log ratio)', effect=-1.41331, band=band_around(-1.45354, -1.37308)),
        'ci/bn-before-activation': Expectation('supported', 'measured 2026-11-30, 3 seeds: supported, headline part mean train loss (log ratio): difference -2.631 (95% CI [-2.679, -2.583])', part='mean train loss (log ratio)', effect=-2.63062, band=band_around(-2.67874, -2.5825)),
        'ci': Expectation('supported', 'measured 2026-11-30, 3 seeds: supported, headline part mean train loss (log ratio): difference -2.63 (95% CI [-2.679, -2.582])', part='mean train loss (log ratio)', effect=-2.63029, band=band_around(-2.67891, -2.58166)),
    },
)


@pytest.mark.parametrize("claim", claim_params(A1, A2, A3))
def test_converges_faster(claim, judge):
    judge(claim)
