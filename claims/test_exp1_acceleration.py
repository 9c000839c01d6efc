"""Experiment 1 of the article: does BN accelerate training?

{sigmoid, relu} x {no BN, BN after the first hidden layer}, SGD (lr 0.01, momentum 0.9,
Nesterov), batch 128. Runs of one seed share initial Dense weights and batch order across these
configurations, so the comparisons are paired by seed.
"""

from __future__ import annotations

import pytest

from fixtures import margins
from fixtures.claim import Claim
from fixtures.comparisons import FASTER_METRIC, FASTER_TEST, faster
from fixtures.models import ModelConfig

A1 = Claim(
    id="A1",
    experiment="1: BN accelerates training",
    english="With sigmoid hidden units, adding just one BN layer makes the model converge much faster than without it.",
    turkish="Şekilde görüldüğü gibi, sadece bir BN katmanının eklendiği ve modelin yakınsama hızının eklenmeden çok daha hızlı hale geldiği görülebilir.",
    metric=FASTER_METRIC,
    test=FASTER_TEST,
    margin=f"'much': mean training loss lower by more than {margins.LOSS} nats and mean test accuracy higher by more than {margins.ACCURACY:.0%} (fixtures/margins.py)",
)
A2 = Claim(
    id="A2",
    experiment="1: BN accelerates training",
    english="With ReLU hidden units, BN speeds convergence further on top of ReLU.",
    turkish="BN yakınsamayı ReLU temelinde daha da hızlandırabilir.",
    metric=FASTER_METRIC,
    test=FASTER_TEST,
    margin="0: the article claims faster, not much faster",
)
A3 = Claim(
    id="A3",
    experiment="1: BN accelerates training",
    english="ReLU instead of sigmoid (no BN) increases convergence speed.",
    turkish="\"Ortak Gizli Birimler\" de sigmoid yerine ReLU kullandık ve yakınsama hızı arttı",
    metric=FASTER_METRIC,
    test=FASTER_TEST,
    margin="0: the article claims faster, not much faster",
)

FASTER = [
    (A1, ModelConfig("sigmoid", 1), ModelConfig("sigmoid", 0), (margins.LOSS, margins.ACCURACY)),
    (A2, ModelConfig("relu", 1), ModelConfig("relu", 0), (0.0, 0.0)),
    (A3, ModelConfig("relu", 0), ModelConfig("sigmoid", 0), (0.0, 0.0)),
]


@pytest.mark.parametrize(
    "claim, fast, slow, margin",
    [pytest.param(*row, id=row[0].id, marks=[pytest.mark.claim(row[0]), pytest.mark.needs_runs(*row[1:3])])
     for row in FASTER],
)
def test_converges_faster(runs, check_claim, claim, fast, slow, margin):
    result = faster(runs.seeds(fast), runs.seeds(slow), margin=margin, alpha=claim.alpha,
                    labels=(fast.label, slow.label))
    check_claim(claim, result, n_seeds=len(runs.scale.seeds))
