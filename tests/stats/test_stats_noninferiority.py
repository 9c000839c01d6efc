"""``directional`` with a negative margin: non-inferiority ("A is not worse than B by |margin|
or more"), which ST2 (claims/test_ics.py) uses for "BN does not reduce ICS".

It is the same one-sided t-test with its null moved below 0, so: the same p-values as the test
of shifted data at margin 0, a false-supported rate at alpha on the boundary (a true difference
exactly at -|margin|), and power above alpha when A is as good as B.
"""

from __future__ import annotations

import numpy as np
import pytest

from fixtures.stats import directional

ALPHA = 0.05
N_SIM = 4_000
N_SEEDS = 6
MARGIN = 0.2


@pytest.mark.parametrize("alternative, shift", [("greater", MARGIN), ("less", -MARGIN)])
def test_a_negative_margin_is_the_zero_margin_test_of_shifted_data(alternative, shift):
    rng = np.random.default_rng(3)
    a, b = rng.normal(0, 1, N_SEEDS), rng.normal(0, 1, N_SEEDS)
    moved = directional(a, b, alternative=alternative, paired=True, margin=-MARGIN)
    shifted = directional(a + shift, b, alternative=alternative, paired=True, margin=0.0)
    assert moved.pvalue == pytest.approx(shifted.pvalue, rel=1e-12)
    assert moved.refutation_pvalue == pytest.approx(shifted.refutation_pvalue, rel=1e-12)
    assert moved.null == pytest.approx(-MARGIN if alternative == "greater" else MARGIN)


def supported_rate(true_difference: float) -> float:
    """How often "A is not below B by MARGIN or more" is supported, paired normal data."""
    rng = np.random.default_rng(11)
    hits = 0
    for _ in range(N_SIM):
        b = rng.normal(0, 1, N_SEEDS)
        a = b + true_difference + rng.normal(0, 0.5, N_SEEDS)
        hits += directional(a, b, alternative="greater", paired=True, margin=-MARGIN).verdict.value == "supported"
    return hits / N_SIM


def test_non_inferiority_keeps_alpha_on_its_boundary_and_has_power_inside_it():
    se = (ALPHA * (1 - ALPHA) / N_SIM) ** 0.5
    at_boundary = supported_rate(-MARGIN)  # A worse by exactly the margin: the claim is false
    assert at_boundary <= ALPHA + 3 * se, at_boundary
    # A as good as B: the claim is true; at n = 6 and a margin of 0.98 standard errors of the
    # difference the t-test shows it about one time in five, four times alpha.
    assert supported_rate(0.0) > 3 * ALPHA
