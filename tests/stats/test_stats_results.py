"""The result objects: frozen, JSON-ready, re-judged at adjusted p-values, with messages that
carry the numbers."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from fixtures.stats import (
    BestOfResult,
    DirectionalResult,
    EquivalenceResult,
    TrendResult,
    Verdict,
    adjust_family,
    best_of,
    directional,
    equivalence,
    trend,
)

pytestmark = pytest.mark.filterwarnings("error")

A = np.array([0.9712, 0.9688, 0.9731, 0.9702, 0.9695])
B = np.array([0.9641, 0.9667, 0.9650, 0.9629, 0.9672])
TABLE = np.column_stack([B - 0.004, B, A, A + [0.0031, 0.0024, 0.0035, 0.0029, 0.0027]])
LEVELS = [4, 64, 256, 1024]

RESULTS = {
    "directional": lambda: directional(A, B, paired=True, margin=0.002),
    "equivalence": lambda: equivalence(A, B, margin=0.02, paired=True),
    "trend": lambda: trend(TABLE, levels=LEVELS),
    "best_of": lambda: best_of(TABLE, levels=LEVELS, best=[1024]),
}
TYPES = {
    "directional": DirectionalResult,
    "equivalence": EquivalenceResult,
    "trend": TrendResult,
    "best_of": BestOfResult,
}


@pytest.fixture(params=list(RESULTS), ids=list(RESULTS))
def kind(request):
    return request.param


def test_common_fields(kind):
    result = RESULTS[kind]()
    assert isinstance(result, TYPES[kind])
    assert result.verdict is Verdict.SUPPORTED, result.message
    for name in ("statistic", "pvalue", "alpha", "n", "min_attainable_pvalue"):
        assert isinstance(getattr(result, name), (int, float)), name
    assert result.adjusted_pvalue is None
    low, high = result.confidence_interval()
    low90, high90 = result.confidence_interval(confidence_level=0.90)
    assert low < low90 < high90 < high
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.pvalue = 0.5


def test_to_dict_is_json(kind):
    result = RESULTS[kind]()
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert data["verdict"] == "supported"
    assert data["pvalue"] == pytest.approx(result.pvalue, rel=1e-15)
    expected = list(result.confidence_interval())
    assert data["confidence_interval"] == pytest.approx(expected, rel=1e-15)
    assert data["test"] == kind
    assert data["message"] == result.message


def test_with_adjusted_pvalue_rejudges(kind):
    result = RESULTS[kind]()
    adjusted = result.with_adjusted_pvalue(0.2)
    assert type(adjusted) is type(result)
    assert adjusted.verdict is Verdict.INCONCLUSIVE
    assert adjusted.adjusted_pvalue == 0.2 and adjusted.pvalue == result.pvalue
    assert "Holm-adjusted p=0.2" in adjusted.message
    assert result.verdict is Verdict.SUPPORTED  # the original is unchanged
    assert result.with_adjusted_pvalue(result.pvalue).verdict is Verdict.SUPPORTED


def test_adjusted_refutation():
    result = directional(B, A, paired=True)  # claim B > A: clearly refuted
    assert result.verdict is Verdict.REFUTED
    assert result.with_adjusted_pvalue(1.0, refutation_pvalue=0.3).verdict is Verdict.INCONCLUSIVE
    assert result.with_adjusted_pvalue(1.0).verdict is Verdict.REFUTED


def test_adjust_family_can_undo_support():
    """Two claims each at p in (0.025, 0.05): supported alone, not after Holm over the two."""
    rng = np.random.default_rng(7)
    family = []
    while len(family) < 2:
        a, b = rng.normal(0.9, 1.0, 5), rng.normal(0.0, 1.0, 5)
        result = directional(a, b, paired=True)
        if 0.025 < result.pvalue < 0.05:
            family.append(result)
    adjusted = adjust_family(family)
    assert all(r.verdict is Verdict.SUPPORTED for r in family)
    assert all(r.verdict is Verdict.INCONCLUSIVE for r in adjusted)
    # Holm over two: the smaller p doubles (> 0.05) and the larger is raised to it.
    smaller = min(r.pvalue for r in family)
    assert [r.adjusted_pvalue for r in adjusted] == pytest.approx([2 * smaller] * 2, rel=1e-12)


def test_message_carries_the_numbers():
    result = directional(A, B, paired=True, margin=0.002)
    message = result.message
    numbers = ("0.9706", "0.9652", "+0.00538", "90% CI", "paired t", "n=5/5", "df=4")
    for text in (*numbers, "supported", "> 0.002"):
        assert text in message, (text, message)
    result = directional(A, B, alternative="less", margin=0.002)
    assert "refuted" in result.message and "Welch t" in result.message
    assert "a - b > -0.002" in result.message


def test_best_of_keeps_the_comparisons():
    result = RESULTS["best_of"]()
    assert result.best == (1024,) and result.others == (4, 64, 256)
    assert len(result.comparisons) == 3
    assert all(c.adjusted_pvalue is not None for c in result.comparisons)
    assert result.pvalue == max(c.adjusted_pvalue for c in result.comparisons)
    assert result.comparisons[result.weakest].labels == ("1024", "256")
    assert len(result.to_dict()["comparisons"]) == 3
