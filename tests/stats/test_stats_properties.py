"""Invariances every verdict must have, checked with Hypothesis.

Swapping the arms with the opposite alternative, shifting both arms by a constant, and scaling
both arms (and the margin) by a positive constant must not change a verdict. Shifts and
scales change the floating-point rounding of the data, so a p within 1e-9 of alpha could flip
on noise alone: such examples are discarded, as are near-constant arms (spread under 0.1 on
values within about +-1100), where rounding dominates the variance.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

from fixtures.stats import best_of, directional, equivalence, trend

pytestmark = pytest.mark.filterwarnings("error")

ALPHA = 0.05
EXAMPLES = settings(deadline=None, max_examples=150, database=None)
OPPOSITE = {
    "greater": "less", "less": "greater", "increasing": "decreasing", "decreasing": "increasing",
}
directions = st.sampled_from(["increasing", "decreasing"])

locations = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)
shifts = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)
scales = st.floats(1e-2, 1e2)
unit_noise = st.floats(-1, 1)


def noise(draw, *shape) -> np.ndarray:
    size = int(np.prod(shape))
    return np.array(draw(st.lists(unit_noise, min_size=size, max_size=size))).reshape(shape)


@st.composite
def arms(draw, paired: bool):
    """Two arms around a common location, with a difference and spreads that make every
    verdict reachable; values stay within about +-1100."""
    n_a = draw(st.integers(2, 8))
    n_b = n_a if paired else draw(st.integers(2, 8))
    centre, difference = draw(locations), draw(st.floats(-50, 50))
    a = centre + difference + draw(st.floats(0.1, 20)) * noise(draw, n_a)
    b = centre + draw(st.floats(0.1, 20)) * noise(draw, n_b)
    spreads = [np.ptp(a - b)] if paired else [np.ptp(a), np.ptp(b)]
    assume(min(spreads) >= 0.1)
    return a, b


def assume_clear_of_alpha(*pvalues: float) -> None:
    for p in pvalues:
        assume(abs(p - ALPHA) > 1e-9)


def tally(result) -> None:
    """Count verdicts in Hypothesis's statistics (--hypothesis-show-statistics)."""
    event(result.verdict.value)


@st.composite
def directional_cases(draw):
    paired = draw(st.booleans())
    a, b = draw(arms(paired))
    return a, b, dict(
        paired=paired,
        alternative=draw(st.sampled_from(["greater", "less"])),
        margin=draw(st.floats(0, 60)),
    )


@st.composite
def equivalence_cases(draw):
    paired = draw(st.booleans())
    a, b = draw(arms(paired))
    return a, b, dict(paired=paired, margin=draw(st.floats(1e-3, 100)))


@EXAMPLES
@given(directional_cases())
def test_directional_swap_arms(case):
    a, b, kw = case
    result = directional(a, b, **kw)
    assume_clear_of_alpha(result.pvalue, result.refutation_pvalue)
    tally(result)
    swapped = directional(b, a, **{**kw, "alternative": OPPOSITE[kw["alternative"]]})
    assert swapped.verdict == result.verdict
    assert swapped.pvalue == pytest.approx(result.pvalue, rel=1e-9, abs=1e-12)


@EXAMPLES
@given(directional_cases(), shifts)
def test_directional_shift_both_arms(case, shift):
    a, b, kw = case
    result = directional(a, b, **kw)
    assume_clear_of_alpha(result.pvalue, result.refutation_pvalue)
    tally(result)
    assert directional(a + shift, b + shift, **kw).verdict == result.verdict


@EXAMPLES
@given(directional_cases(), scales)
def test_directional_scale_both_arms_and_margin(case, scale):
    a, b, kw = case
    result = directional(a, b, **kw)
    assume_clear_of_alpha(result.pvalue, result.refutation_pvalue)
    tally(result)
    scaled = directional(a * scale, b * scale, **{**kw, "margin": kw["margin"] * scale})
    assert scaled.verdict == result.verdict


@EXAMPLES
@given(equivalence_cases())
def test_equivalence_swap_arms(case):
    a, b, kw = case
    result = equivalence(a, b, **kw)
    assume_clear_of_alpha(result.pvalue, result.refutation_pvalue)
    tally(result)
    swapped = equivalence(b, a, **kw)
    assert swapped.verdict == result.verdict
    assert swapped.pvalue == pytest.approx(result.pvalue, rel=1e-9, abs=1e-12)


@EXAMPLES
@given(equivalence_cases(), shifts, scales)
def test_equivalence_shift_and_scale(case, shift, scale):
    a, b, kw = case
    result = equivalence(a, b, **kw)
    assume_clear_of_alpha(result.pvalue, result.refutation_pvalue)
    tally(result)
    assert equivalence(a + shift, b + shift, **kw).verdict == result.verdict
    scaled = equivalence(a * scale, b * scale, **{**kw, "margin": kw["margin"] * scale})
    assert scaled.verdict == result.verdict


@st.composite
def tables(draw, min_levels: int = 3):
    """Per-seed values, shape (n_seeds, n_levels): a location per seed, a linear trend and
    noise; values distinct within each seed by >= 1e-6 (so rounding cannot create ties)."""
    n = draw(st.integers(2, 7))
    k = draw(st.integers(min_levels, 5))
    centres = np.array(draw(st.lists(locations, min_size=n, max_size=n)))[:, None]
    step = draw(st.floats(-20, 20))
    table = centres + step * np.arange(k) + draw(st.floats(0.1, 20)) * noise(draw, n, k)
    assume(np.min(np.diff(np.sort(table, axis=1), axis=1)) >= 1e-6)
    return table


@EXAMPLES
@given(tables(), directions, st.lists(shifts, min_size=7, max_size=7), scales)
def test_trend_ignores_seed_offsets_and_scale(table, alternative, offsets, scale):
    """Page's test ranks within each seed: per-seed offsets and a positive scale change nothing."""
    levels = list(range(table.shape[1]))
    result = trend(table, levels=levels, alternative=alternative)
    tally(result)
    moved = table * scale + np.array(offsets[: table.shape[0]])[:, None]
    other = trend(moved, levels=levels, alternative=alternative)
    assert other.statistic == result.statistic
    assert (other.pvalue, other.verdict) == (result.pvalue, result.verdict)


@EXAMPLES
@given(tables(), directions)
def test_trend_reversed_levels_opposite_alternative(table, alternative):
    levels = list(range(table.shape[1]))
    result = trend(table, levels=levels, alternative=alternative)
    tally(result)
    mirrored = trend(table[:, ::-1], levels=levels[::-1], alternative=OPPOSITE[alternative])
    assert (mirrored.pvalue, mirrored.refutation_pvalue, mirrored.verdict) == (
        result.pvalue, result.refutation_pvalue, result.verdict,
    )


@EXAMPLES
@given(tables(min_levels=2), st.data(), shifts, scales)
def test_best_of_shift_and_scale(table, data, shift, scale):
    k = table.shape[1]
    levels = list(range(k))
    best = data.draw(st.lists(st.sampled_from(levels), min_size=1, max_size=k - 1, unique=True))
    alternative = data.draw(st.sampled_from(["greater", "less"]))
    margin = data.draw(st.floats(0, 30))
    result = best_of(table, levels=levels, best=best, alternative=alternative, margin=margin)
    for c in result.comparisons:
        better, worse = (levels.index(int(label)) for label in c.labels)
        assume(np.ptp(table[:, better] - table[:, worse]) >= 0.1)
        assume_clear_of_alpha(c.adjusted_pvalue, c.adjusted_refutation_pvalue)
    tally(result)
    moved = best_of(
        table * scale + shift, levels=levels, best=best, alternative=alternative,
        margin=margin * scale,
    )
    assert moved.verdict == result.verdict
