"""``paired_drift`` (the baseline drift test): agreement with scipy ``ttest_rel``, its degenerate
cases (bit-identical, a constant shift, diverged runs, too few pairs) and its input checks."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from scipy import stats

from fixtures.stats import PairedDriftResult, paired_drift
from tests.stats.simulate import rng_for

pytestmark = pytest.mark.filterwarnings("error")


@pytest.mark.parametrize("n", [2, 3, 5, 10, 40])
def test_agrees_with_scipy_ttest_rel(n):
    rng = rng_for(f"paired_drift agreement {n}")
    for _ in range(50):
        seed_effect = rng.normal(0.9, 0.02, size=n)  # per-seed values share the seed's effect
        baseline = seed_effect + rng.normal(0, 1e-3, size=n)
        environment = seed_effect + rng.normal(rng.normal(0, 1e-3), 1e-3, size=n)
        ours = paired_drift(environment, baseline)
        ref = stats.ttest_rel(environment, baseline)
        assert ours.statistic == pytest.approx(float(ref.statistic), rel=1e-9, abs=1e-12)
        assert ours.pvalue == pytest.approx(float(ref.pvalue), rel=1e-9, abs=1e-12)
        assert ours.df == ref.df and ours.n == n
        assert ours.difference == pytest.approx(float(np.mean(environment - baseline)), rel=1e-12)
        ref_low, ref_high = ref.confidence_interval(0.95)
        assert ours.confidence_interval() == pytest.approx((ref_low, ref_high), rel=1e-9)
        assert ours.confidence_interval(0.9) == pytest.approx(tuple(ref.confidence_interval(0.9)), rel=1e-9)


def test_bit_identical_runs_are_no_drift():
    values = np.array([0.973, 0.971, 0.975, 0.969])
    result = paired_drift(values, values.copy())
    assert (result.statistic, result.pvalue, result.difference) == (0.0, 1.0, 0.0)
    assert result.confidence_interval() == (0.0, 0.0)


def test_a_constant_shift_is_a_change_however_small():
    baseline = np.array([0.5, 0.25, 0.125, 0.75])  # binary fractions: - 0.25 is exact
    result = paired_drift(baseline - 0.25, baseline)
    assert (result.pvalue, result.statistic, result.difference) == (0.0, -math.inf, -0.25)
    # 1e-12 added: rounding leaves differences that vary in the 17th digit, so a t-test with a
    # tiny but nonzero spread; the shift still dwarfs it.
    tiny = paired_drift(baseline + 1e-12, baseline)
    assert tiny.pvalue < 1e-6 and tiny.difference == pytest.approx(1e-12, rel=1e-3)


def test_zero_variance_with_a_nonzero_mean_gives_p_0():
    result = paired_drift([1.5, 2.5, 3.5], [1.0, 2.0, 3.0])
    assert (result.pvalue, result.statistic, result.difference) == (0.0, math.inf, 0.5)
    assert result.confidence_interval() == (0.5, 0.5)


def test_a_run_diverged_on_one_side_only_is_a_change():
    baseline = np.array([0.97, 0.96, 0.98, 0.97])
    environment = np.array([0.97, np.nan, 0.98, 0.97])  # seed 1 diverged in the environment only
    result = paired_drift(environment, baseline)
    assert result.pvalue == 0.0 and math.isnan(result.statistic)
    assert (result.n, result.diverged_one_side, result.dropped) == (3, 1, 0)
    assert result.difference == 0.0  # of the three pairs finite on both sides
    # The same with inf, and with the baseline the one that diverged.
    assert paired_drift(baseline, np.array([np.inf, 0.96, 0.98, 0.97])).pvalue == 0.0


def test_a_run_diverged_on_both_sides_is_dropped():
    rng = rng_for("paired_drift dropped")
    baseline, environment = rng.normal(size=5), rng.normal(size=5)
    baseline[2], environment[2] = np.nan, np.inf
    result = paired_drift(environment, baseline)
    keep = np.arange(5) != 2
    ref = stats.ttest_rel(environment[keep], baseline[keep])
    assert (result.n, result.dropped, result.diverged_one_side) == (4, 1, 0)
    assert result.pvalue == pytest.approx(float(ref.pvalue), rel=1e-9)


def test_one_sided_divergence_decides_even_with_one_finite_pair():
    result = paired_drift([np.nan, 0.5], [0.4, 0.5])
    assert result.pvalue == 0.0 and result.n == 1
    assert all(math.isnan(x) for x in result.confidence_interval())


@pytest.mark.parametrize(
    "environment, baseline, message",
    [
        ([0.9], [0.8], "at least 2 pairs"),
        ([], [], "at least 2 pairs"),
        ([np.nan, np.nan, 0.9], [np.nan, np.inf, 0.8], "at least 2 pairs finite on both sides, got 1"),
        ([0.9, 0.8], [0.9, 0.8, 0.7], "pair seed by seed"),
        ([[0.9, 0.8]], [[0.9, 0.8]], "shape (n_seeds,)"),
        (["a", "b"], [0.9, 0.8], "must be numeric"),
    ],
    ids=["one pair", "no pairs", "one finite pair", "unequal lengths", "2-D", "text"],
)
def test_bad_input_raises_valueerror(environment, baseline, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        paired_drift(environment, baseline)


def test_result_is_frozen_and_serialises():
    result = paired_drift([1.0, 2.0, 3.5], [1.1, 2.0, 3.0])
    assert isinstance(result, PairedDriftResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.pvalue = 0.5  # type: ignore[misc]
    data = result.to_dict()
    assert data["pvalue"] == result.pvalue and (data["ci_low"], data["ci_high"]) == result.confidence_interval()
    with pytest.raises(ValueError, match="confidence_level"):
        result.confidence_interval(1.5)
