"""Degenerate data give a defined verdict and message, never an exception or a warning;
invalid arguments raise ValueError naming the argument.

Rules (documented in the engine): fewer than 2 seeds -> INCONCLUSIVE "needs at least 2
seeds"; NaN/inf -> INCONCLUSIVE "non-finite values"; zero variance -> decided by the sign of
(difference - margin), the limit of the t-test, and INCONCLUSIVE when the difference equals the
margin exactly; a design whose smallest attainable p is >= alpha -> INCONCLUSIVE "needs more
seeds", never REFUTED.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from fixtures.stats import Verdict, adjust_family, best_of, directional, equivalence, holm, trend

pytestmark = pytest.mark.filterwarnings("error")

LEVELS = ["w", "x", "y", "z"]
OK = np.array([0.91, 0.93, 0.92, 0.94, 0.95])


def assert_inconclusive(result, text: str) -> None:
    assert result.verdict is Verdict.INCONCLUSIVE
    assert text in result.message
    assert text in result.problem
    json.dumps(result.to_dict())  # still reportable


@pytest.mark.parametrize(
    "a, b", [([0.9], OK), (OK, [0.9]), ([], OK), ([], [])], ids=["a1", "b1", "a0", "both0"]
)
def test_too_few_seeds_two_arms(a, b):
    assert_inconclusive(directional(a, b), "needs at least 2 seeds")
    assert_inconclusive(equivalence(a, b, margin=0.1), "needs at least 2 seeds")


def test_too_few_seeds_tables():
    one_seed = np.array([[0.1, 0.2, 0.3, 0.4]])
    assert_inconclusive(trend(one_seed, levels=LEVELS), "needs at least 2 seeds")
    assert_inconclusive(best_of(one_seed, levels=LEVELS, best=["z"]), "needs at least 2 seeds")


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf], ids=["nan", "inf", "-inf"])
@pytest.mark.parametrize("paired", [False, True], ids=["welch", "paired"])
def test_non_finite_values(bad, paired):
    a = OK.copy()
    a[2] = bad
    assert_inconclusive(directional(a, OK - 0.1, paired=paired), "non-finite values")
    assert_inconclusive(directional(OK, a, paired=paired), "non-finite values")
    assert_inconclusive(equivalence(a, OK, margin=0.1, paired=paired), "non-finite values")
    table = np.column_stack([OK, OK + 0.1, a, OK + 0.3])
    assert_inconclusive(trend(table, levels=LEVELS), "non-finite values")
    assert_inconclusive(best_of(table, levels=LEVELS, best=["z"]), "non-finite values")


# Constant arms: 0.75 and 0.5 are exact in binary, so every per-seed difference is exactly 0.25.
HIGH, LOW = np.full(4, 0.75), np.full(4, 0.5)


@pytest.mark.parametrize("paired", [False, True], ids=["welch", "paired"])
@pytest.mark.parametrize(
    "alternative, a, b, margin, verdict",
    [
        ("greater", HIGH, LOW, 0.125, Verdict.SUPPORTED),  # 0.25 > 0.125 in every seed
        ("greater", HIGH, LOW, 0.5, Verdict.REFUTED),  # 0.25 short of 0.5 in every seed
        ("greater", LOW, HIGH, 0.0, Verdict.REFUTED),  # wrong way in every seed
        ("less", LOW, HIGH, 0.125, Verdict.SUPPORTED),
        ("greater", HIGH, HIGH, 0.0, Verdict.INCONCLUSIVE),  # exactly at the margin
        ("greater", HIGH, LOW, 0.25, Verdict.INCONCLUSIVE),
    ],
    ids=["beyond", "short", "reversed", "less-beyond", "equal-at-0", "equal-at-margin"],
)
def test_zero_variance_directional(alternative, a, b, margin, verdict, paired):
    result = directional(a, b, alternative=alternative, margin=margin, paired=paired)
    assert result.verdict is verdict
    assert "zero variance" in result.message
    assert result.confidence_interval() == (result.difference, result.difference)


def test_zero_variance_paired_differences():
    """Arms vary across seeds but the per-seed difference is constant: decided, no warning."""
    b = np.array([0.5, 0.25, 0.75, 0.125])
    result = directional(b + 0.25, b, paired=True, margin=0.125)
    assert result.verdict is Verdict.SUPPORTED
    assert math.isinf(result.statistic) and result.pvalue == 0.0


@pytest.mark.parametrize(
    "a, b, margin, verdict",
    [
        (HIGH, LOW, 0.5, Verdict.SUPPORTED),  # |0.25| < 0.5
        (HIGH, LOW, 0.125, Verdict.REFUTED),  # |0.25| > 0.125
        (HIGH, LOW, 0.25, Verdict.INCONCLUSIVE),  # exactly at the margin
        (LOW, HIGH, 0.25, Verdict.INCONCLUSIVE),
        (HIGH, HIGH, 0.1, Verdict.SUPPORTED),
    ],
    ids=["inside", "outside", "at+margin", "at-margin", "identical"],
)
@pytest.mark.parametrize("paired", [False, True], ids=["welch", "paired"])
def test_zero_variance_equivalence(a, b, margin, verdict, paired):
    result = equivalence(a, b, margin=margin, paired=paired)
    assert result.verdict is verdict
    assert "zero variance" in result.message


def test_trend_with_all_ties():
    table = np.full((5, 4), 0.9)
    result = trend(table, levels=LEVELS)
    assert result.verdict is Verdict.INCONCLUSIVE
    assert result.confidence_interval() == (0.0, 0.0)


def test_trend_too_few_seeds_for_alpha_is_never_refuted():
    """2 seeds x 3 levels: the exact test cannot go below 1/36 = 0.028, so at alpha = 0.01
    even a perfectly reversed trend is INCONCLUSIVE, not REFUTED."""
    reversed_ = np.array([[3.0, 2.0, 1.0], [6.0, 5.0, 4.0]])
    result = trend(reversed_, levels=[1, 2, 3], alpha=0.01)
    assert result.min_attainable_pvalue == pytest.approx(1 / 36, rel=1e-12)
    assert_inconclusive(result, "needs more seeds")
    assert trend(reversed_, levels=[1, 2, 3], alpha=0.05).verdict is Verdict.REFUTED


def test_best_of_with_an_untestable_comparison():
    """One comparison ties exactly with zero variance: it cannot be supported, so neither can
    the claim; the others are still judged."""
    tied = np.column_stack([OK, OK, OK - 0.3, OK - 0.2])  # w - x is exactly 0 in every seed
    result = best_of(tied, levels=LEVELS, best=["w"])
    assert result.verdict is not Verdict.SUPPORTED
    assert any(c.problem for c in result.comparisons)
    json.dumps(result.to_dict())


def test_adjust_family_keeps_untestable_results():
    results = [directional([0.9], OK), directional(OK + 0.1, OK, paired=True)]
    adjusted = adjust_family(results)
    assert adjusted[0] is results[0]
    # The untestable claim still counts in the family: p doubles.
    assert adjusted[1].adjusted_pvalue == pytest.approx(2 * results[1].pvalue, rel=1e-12)


TWO = dict(a=OK, b=OK - 0.1)
TABLE = np.column_stack([OK, OK + 0.1, OK + 0.2, OK + 0.3])


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: directional(**TWO, alternative="two-sided"), "alternative"),
        (lambda: directional(**TWO, alpha=0.0), "alpha"),
        (lambda: directional(**TWO, alpha=1.0), "alpha"),
        (lambda: directional(**TWO, alpha=0.5), "alpha"),
        (lambda: directional(**TWO, alpha=math.nan), "alpha"),
        (lambda: directional(**TWO, margin=math.nan), "margin"),
        (lambda: directional(**TWO, margin=math.inf), "margin"),
        (lambda: directional(**TWO, paired="yes"), "paired"),
        (lambda: directional(OK, OK[:3], paired=True), "paired"),
        (lambda: directional(TABLE, OK), "`a`"),
        (lambda: directional(OK, 0.5), "`b`"),
        (lambda: directional(["x", "y"], OK), "`a`"),
        (lambda: directional(**TWO, labels="ab"), "labels"),
        (lambda: equivalence(**TWO, margin=0.0), "margin"),
        (lambda: equivalence(**TWO, margin=-1.0), "margin"),
        (lambda: equivalence(OK, OK[:4], margin=0.1, paired=True), "paired"),
        (lambda: equivalence(**TWO, margin=0.1, alpha=0.6), "alpha"),
        (lambda: trend(OK, levels=LEVELS), "values"),
        (lambda: trend(TABLE, levels=LEVELS[:3]), "levels"),
        (lambda: trend(TABLE[:, :2], levels=LEVELS[:2]), "levels"),
        (lambda: trend(TABLE, levels=["w", "w", "x", "y"]), "levels"),
        (lambda: trend(TABLE, levels=LEVELS, alternative="up"), "alternative"),
        (lambda: best_of(TABLE, levels=LEVELS, best=["q"]), "best"),
        (lambda: best_of(TABLE, levels=LEVELS, best=[]), "best"),
        (lambda: best_of(TABLE, levels=LEVELS, best=LEVELS), "best"),
        (lambda: best_of(TABLE, levels=LEVELS, best=["w", "w"]), "best"),
        (lambda: best_of(TABLE, levels=LEVELS, best=["w"], margin=-1), "margin"),
        (lambda: holm([0.1, 1.2]), "pvalues"),
        (lambda: holm([0.1, math.nan]), "pvalues"),
        (lambda: holm([[0.1]]), "pvalues"),
        (lambda: directional(**TWO).confidence_interval(1.0), "confidence_level"),
        (lambda: directional(**TWO).with_adjusted_pvalue(1.5), "pvalue"),
    ],
)
def test_invalid_arguments_raise_value_error_naming_them(call, match):
    with pytest.raises(ValueError, match=match):
        call()
