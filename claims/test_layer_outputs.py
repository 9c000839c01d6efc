"""The article's method note: observe each layer's output at test time (claim L1).

The theory part credits BN with keeping the sigmoid units downstream of it out of saturation.
"""

from __future__ import annotations

import numpy as np
import pytest

from fixtures.claim import Claim, Expectation
from fixtures.models import ModelConfig
from fixtures.stats import directional

L1 = Claim(
    id="L1",
    experiment="method note: layer outputs at test time",
    english="With BN, the sigmoid units downstream of BN are kept out of saturation.",
    turkish="Bazı durumlarda, test aşamasında her katmanın çıktısını alın ve sonuçları gözlemleyin.",
    metric=(
        "per-seed saturated share of the test-set outputs of hidden layers 2-4 (the layers after "
        "the BN), a sigmoid output counting as saturated below 0.05 or above 0.95, averaged "
        "over the three layers; after the last epoch"
    ),
    test="paired one-sided t-test, BN model (BN after layer 1) below the model without BN",
    margin="0: any reduction",
    expected={
        "ci": Expectation("refuted", (
            "measured 2026-11-25, 6 seeds: downstream saturated share 0.0949 with BN vs 0.0000 "
            "without (diff +0.0949, 90% CI [+0.0921, +0.0976]); at this scale the sigmoid net "
            "without BN has barely left its initial state, its units all near 0.5"
        )),
        "article": Expectation("refuted", (
            "measured 2026-11-26, 5 seeds: downstream saturated share 0.137 with BN vs 0.024 "
            "without (diff +0.113, 90% CI [+0.108, +0.118]): the BN net's later sigmoid layers "
            "saturate more, as a more trained net's do"
        )),
    },
)


def downstream_saturation(run) -> float:
    return float(np.mean([layer["saturated"] for layer in run.extras["layers"][1:]]))


@pytest.mark.claim(L1)
@pytest.mark.needs_runs(ModelConfig("sigmoid", 1), ModelConfig("sigmoid", 0))
def test_l1_bn_keeps_downstream_sigmoids_out_of_saturation(runs, check_claim):
    with_bn = runs.seeds(ModelConfig("sigmoid", 1))
    without = runs.seeds(ModelConfig("sigmoid", 0))
    result = directional(
        [downstream_saturation(r) for r in with_bn], [downstream_saturation(r) for r in without],
        alternative="less", paired=True, alpha=L1.alpha, labels=("BN", "no BN"),
    )
    check_claim(L1, result, n_seeds=len(with_bn))
