"""Agreement with reference implementations on fixed examples, to 1e-10 relative.

scipy: ``ttest_ind(equal_var=False)``, ``ttest_rel``, ``page_trend_test``; statsmodels:
``ttost_ind(usevar="unequal")``, ``ttost_paired``, ``ttest_ind(value=...)``,
``multipletests(method="holm")``; and Page's exact null distribution enumerated here.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats
from statsmodels.stats import weightstats
from statsmodels.stats.multitest import multipletests

from fixtures.stats import adjust_family, best_of, directional, equivalence, holm, trend
from tests.stats.simulate import page_pvalue

pytestmark = pytest.mark.filterwarnings("error")

RTOL = 1e-10
# Per-seed final test accuracies of two configurations (made up, realistic spread).
A = np.array([0.9712, 0.9688, 0.9731, 0.9702, 0.9695])
B = np.array([0.9641, 0.9667, 0.9650, 0.9629, 0.9672])
# Unequal seed counts and spreads, for Welch.
C = np.array([2.31, 2.05, 2.47])
D = np.array([1.92, 2.01, 1.88, 2.10, 1.97, 1.85])
EXAMPLES = {"5v5": (A, B), "3v6": (C, D)}
DESIGNS = [("5v5", False), ("5v5", True), ("3v6", False)]  # paired needs equal seed counts
DESIGN_IDS = ["5v5-welch", "5v5-paired", "3v6-welch"]
OPPOSITE = {"greater": "less", "less": "greater"}


def close(x, y):
    return x == pytest.approx(y, rel=RTOL, abs=1e-12)


def reference_t(a, b, paired, alternative):
    if paired:
        return stats.ttest_rel(a, b, alternative=alternative)
    return stats.ttest_ind(a, b, equal_var=False, alternative=alternative)


@pytest.mark.parametrize("example, paired", DESIGNS, ids=DESIGN_IDS)
@pytest.mark.parametrize("alternative", ["greater", "less"])
@pytest.mark.parametrize("margin", [0.0, 0.004, 0.3], ids=["m0", "m0.004", "m0.3"])
def test_directional_matches_scipy(example, paired, alternative, margin):
    a, b = EXAMPLES[example]
    result = directional(a, b, alternative=alternative, paired=paired, margin=margin)
    # "a - b > margin" is scipy's test of (a - margin) vs b; "a - b < -margin" of (a + margin).
    shifted = a - margin if alternative == "greater" else a + margin
    reference = reference_t(shifted, b, paired, alternative)
    opposite = reference_t(shifted, b, paired, OPPOSITE[alternative])
    assert close(result.statistic, reference.statistic)
    assert close(result.pvalue, reference.pvalue)
    assert close(result.refutation_pvalue, opposite.pvalue)
    assert close(result.df, reference.df)
    two_sided = reference_t(a, b, paired, "two-sided")
    for level in (0.95, 0.90, 0.99):
        expected = tuple(two_sided.confidence_interval(level))
        assert_allclose(result.confidence_interval(level), expected, rtol=RTOL)


@pytest.mark.parametrize("example, paired", DESIGNS, ids=DESIGN_IDS)
@pytest.mark.parametrize("margin", [0.002, 0.006, 0.02, 0.5])
def test_equivalence_matches_statsmodels(example, paired, margin):
    a, b = EXAMPLES[example]
    result = equivalence(a, b, margin=margin, paired=paired)
    if paired:
        p, (t1, p1, df1), (t2, p2, df2) = weightstats.ttost_paired(a, b, -margin, margin)
    else:
        p, (t1, p1, df1), (t2, p2, df2) = weightstats.ttost_ind(
            a, b, -margin, margin, usevar="unequal"
        )
    assert close(result.pvalue, p)
    assert close(result.t_lower, t1) and close(result.pvalue_lower, p1)
    assert close(result.t_upper, t2) and close(result.pvalue_upper, p2)
    assert close(result.df, df1) and close(result.df, df2)


@pytest.mark.parametrize("example", ["5v5", "3v6"])
@pytest.mark.parametrize("margin", [0.002, 0.006, 0.02])
def test_equivalence_refutation_matches_statsmodels(example, margin):
    """The refutation p is the smaller of the one-sided tests of diff > +m and diff < -m."""
    a, b = EXAMPLES[example]
    result = equivalence(a, b, margin=margin)
    kw = dict(usevar="unequal")
    _, above, _ = weightstats.ttest_ind(a, b, alternative="larger", value=margin, **kw)
    _, below, _ = weightstats.ttest_ind(a, b, alternative="smaller", value=-margin, **kw)
    assert close(result.refutation_pvalue, min(above, below))


def test_equivalence_decides_on_the_90_percent_interval():
    """SUPPORTED exactly when the (1 - 2 alpha) CI lies inside (-margin, margin)."""
    for margin in np.linspace(0.001, 0.02, 40):
        result = equivalence(A, B, margin=margin)
        low, high = result.confidence_interval(0.90)
        inside = -margin < low and high < margin
        outside = low > margin or high < -margin
        assert (result.verdict.value == "supported") == inside
        assert (result.verdict.value == "refuted") == outside


VALUES = np.array(
    [
        [0.912, 0.931, 0.940, 0.938],
        [0.905, 0.921, 0.936, 0.944],
        [0.918, 0.915, 0.933, 0.941],
        [0.899, 0.925, 0.929, 0.950],
        [0.910, 0.928, 0.946, 0.939],
    ]
)


@pytest.mark.parametrize("alternative", ["increasing", "decreasing"])
@pytest.mark.parametrize("rows", [2, 3, 5])
def test_trend_matches_scipy_page(alternative, rows):
    values = VALUES[:rows]
    result = trend(values, levels=[1, 2, 3, 4], alternative=alternative)
    ordered = values if alternative == "increasing" else values[:, ::-1]
    reference = stats.page_trend_test(ordered)
    assert result.method == reference.method == "exact"
    assert close(result.statistic, reference.statistic)
    assert close(result.pvalue, reference.pvalue)
    assert close(result.refutation_pvalue, stats.page_trend_test(ordered[:, ::-1]).pvalue)
    assert close(result.min_attainable_pvalue, 1 / math.factorial(4) ** rows)
    # Page's exact distribution, enumerated independently of scipy.
    assert close(result.pvalue, page_pvalue(np.array([result.statistic]), rows, 4)[0])
    last_first = stats.ttest_rel(values[:, -1], values[:, 0])
    expected = tuple(last_first.confidence_interval())
    assert_allclose(result.confidence_interval(), expected, rtol=RTOL)
    assert close(result.difference, np.mean(values[:, -1] - values[:, 0]))


def test_trend_asymptotic_floor():
    """Beyond 12 seeds at 4 levels scipy uses the normal approximation; the floor follows it."""
    values = np.random.default_rng(3).normal(size=(15, 4))
    result = trend(values, levels=list("abcd"))
    assert result.method == stats.page_trend_test(values).method == "asymptotic"
    perfect = stats.page_trend_test(np.tile(np.arange(4.0), (15, 1)), method="asymptotic")
    assert close(result.min_attainable_pvalue, perfect.pvalue)
    assert close(result.pvalue, stats.page_trend_test(values).pvalue)


PVALUE_SETS = [
    [0.01, 0.04, 0.03, 0.005],
    [0.2, 0.2, 0.01, 0.6, 0.04],  # ties
    [0.5, 0.7, 0.9],  # capped at 1
    [0.001],
    [0.0, 1.0, 0.3, 0.3],
]


@pytest.mark.parametrize("pvalues", PVALUE_SETS, ids=lambda p: str(len(p)))
def test_holm_matches_statsmodels(pvalues):
    assert_allclose(holm(pvalues), multipletests(pvalues, method="holm")[1], rtol=RTOL, atol=1e-15)


def test_adjust_family_is_holm_on_both_pvalues():
    results = [directional(A, B, paired=True), directional(C, D), equivalence(A, B, margin=0.005)]
    adjusted = adjust_family(results)
    expected = multipletests([r.pvalue for r in results], method="holm")[1]
    expected_refutation = multipletests([r.refutation_pvalue for r in results], method="holm")[1]
    assert_allclose([r.adjusted_pvalue for r in adjusted], expected, rtol=RTOL)
    refutations = [r.adjusted_refutation_pvalue for r in adjusted]
    assert_allclose(refutations, expected_refutation, rtol=RTOL)
    assert [r.pvalue for r in adjusted] == [r.pvalue for r in results]


def test_best_of_is_pairwise_paired_t_with_holm():
    result = best_of(VALUES, levels=[4, 64, 256, 1024], best=[256, 1024])
    raw = [
        stats.ttest_rel(VALUES[:, i], VALUES[:, j], alternative="greater").pvalue
        for i in (2, 3)
        for j in (0, 1)
    ]
    adjusted = multipletests(raw, method="holm")[1]
    assert [c.labels for c in result.comparisons] == [
        ("256", "4"), ("256", "64"), ("1024", "4"), ("1024", "64"),
    ]
    assert_allclose([c.pvalue for c in result.comparisons], raw, rtol=RTOL)
    assert_allclose([c.adjusted_pvalue for c in result.comparisons], adjusted, rtol=RTOL)
    assert close(result.pvalue, max(adjusted))
    weakest = min(result.comparisons, key=lambda c: c.difference)
    assert result.confidence_interval() == weakest.confidence_interval()
    assert result.difference == weakest.difference


def test_hedges_g():
    # Unpaired: d = 1 / pooled SD 1, J(4) = Gamma(2) / (sqrt(2) Gamma(1.5)).
    result = directional([1.0, 2.0, 3.0], [0.0, 1.0, 2.0])
    j4 = math.gamma(2) / (math.sqrt(2) * math.gamma(1.5))
    assert close(result.hedges_g, j4)
    # Paired: d_z = mean / SD of the differences, J(n - 1); close to the usual 1 - 3/(4 df - 1).
    result = directional(A, B, paired=True)
    d = A - B
    d_z = d.mean() / d.std(ddof=1)
    assert result.hedges_g == pytest.approx(d_z * (1 - 3 / (4 * 4 - 1)), rel=1e-2)
    assert 0 < result.hedges_g < d_z


def test_prob_superiority():
    # Pairs (a_i, b_j): 3 > 1, 3 > 2, 2 > 1, 2 = 2 (half) -> 3.5 / 4.
    assert directional([2.0, 3.0], [1.0, 2.0]).prob_superiority == 0.875
    assert directional([2.0, 3.0], [1.0, 2.0], alternative="less").prob_superiority == 0.125
    # Paired: seeds where a beats b; the tie counts half.
    result = directional([1.0, 2.0, 3.0, 4.0], [0.0, 2.0, 3.5, 3.0], paired=True)
    assert result.prob_superiority == 0.625
