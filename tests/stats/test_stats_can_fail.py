"""Each assertion can fail: a clearly false claim is REFUTED, a planted null is not SUPPORTED.

Fixed-seed single datasets show the verdict and message a claim test would see; the rates
over 20,000 simulated datasets show it is not luck of the seed.
"""

from __future__ import annotations

import numpy as np
import pytest

from fixtures.stats import Verdict, best_of, directional, equivalence, trend
from tests.stats.simulate import (
    best_of_verdicts,
    directional_verdicts,
    equivalence_verdicts,
    independent_normal,
    paired_normal,
    rng_for,
    trend_verdicts,
)

pytestmark = pytest.mark.filterwarnings("error")

N = 5
N_SIM = 20_000
LEVELS = [4, 64, 256, 1024]


def arms(name: str, difference: float, *, paired: bool, size: int = 1):
    rng = rng_for(name)
    if paired:
        values = paired_normal(rng, size, N, [difference, 0.0])
        return values[..., 0], values[..., 1]
    return independent_normal(rng, size, N, difference), independent_normal(rng, size, N, 0.0)


@pytest.mark.parametrize("paired", [False, True], ids=["welch", "paired"])
def test_reversed_effect_is_refuted(paired, record_rates):
    """Claim "A > B" when in truth A is 3 SD below B."""
    a, b = arms(f"can-fail-reversed-{paired}", -3.0, paired=paired)
    result = directional(a[0], b[0], paired=paired)
    assert result.verdict is Verdict.REFUTED, result.message
    a, b = arms(f"can-fail-reversed-{paired}-many", -3.0, paired=paired, size=N_SIM)
    supported, refuted = record_rates(
        "can-fail", "directional", f"{'paired' if paired else 'welch'}, true diff -3 SD, claim > 0",
        N, directional_verdicts(a, b, paired=paired),
    )
    assert refuted >= 0.95 and supported == 0.0


def test_real_but_small_effect_does_not_support_much(record_rates):
    """Claim "A exceeds B by more than 3 SD" when the true gain is 1 SD: a real gain, but
    short of what the claim needs, so REFUTED, never SUPPORTED."""
    a, b = arms("can-fail-small", 1.0, paired=True, size=N_SIM)
    verdicts = directional_verdicts(a, b, paired=True, margin=3.0)
    supported, refuted = record_rates(
        "can-fail", "directional", "paired, true diff 1 SD, claim > 3 SD", N, verdicts
    )
    assert supported == 0.0 and refuted >= 0.95
    result = directional(a[0], b[0], paired=True, margin=3.0)
    assert result.difference > 0 and result.verdict is Verdict.REFUTED, result.message


ENGINE_DRAWS = 200  # datasets run through the engine itself: about 0.5 ms each


@pytest.mark.parametrize("alternative, effect", [("greater", 3.0), ("less", -3.0)], ids=["greater", "less"])
@pytest.mark.parametrize("paired", [False, True], ids=["welch", "paired"])
def test_planted_null_is_not_supported(paired, alternative, effect):
    """The engine on 200 datasets: a planted null is supported at about alpha (0.05; at most
    0.10, 3 binomial SDs above), the same claim on a 3 SD effect its way nearly always (power
    above 0.98 at n=5). A test that never supported would pass the null half alone."""
    rates = {}
    for truth in (0.0, effect):
        a, b = arms(f"can-fail-null-{paired}-{truth}", truth, paired=paired, size=ENGINE_DRAWS)
        verdicts = [directional(x, y, paired=paired, alternative=alternative).verdict for x, y in zip(a, b)]
        rates[truth] = verdicts.count(Verdict.SUPPORTED) / ENGINE_DRAWS
    assert rates[0.0] <= 0.10 and rates[effect] >= 0.9, rates


def test_clearly_different_is_not_equivalent(record_rates):
    """Claim "A and B within 1 SD" when they differ by 4 SD."""
    a, b = arms("can-fail-equivalence", 4.0, paired=True)
    assert equivalence(a[0], b[0], margin=1.0, paired=True).verdict is Verdict.REFUTED
    a, b = arms("can-fail-equivalence-many", 4.0, paired=True, size=N_SIM)
    supported, refuted = record_rates(
        "can-fail", "equivalence", "paired, true diff 4 SD, margin 1 SD", N,
        equivalence_verdicts(a, b, margin=1.0, paired=True),
    )
    assert supported == 0.0 and refuted >= 0.9


def test_non_significant_difference_is_not_equivalence():
    """Noisy arms with equal means: the t-test finds no difference, and TOST rightly refuses to
    call them equivalent within a margin smaller than the noise."""
    rng = rng_for("can-fail-noisy")
    a, b = rng.normal(0, 3, N), rng.normal(0, 3, N)
    assert directional(a, b).verdict is not Verdict.SUPPORTED
    assert equivalence(a, b, margin=1.0).verdict is Verdict.INCONCLUSIVE
    # The same draws made quiet (SD 0.1, margin 10 SD) or shifted 5 SD apart: each test does
    # support when it should, so the refusals above are not a test that never supports.
    assert equivalence(a / 30, b / 30, margin=1.0).verdict is Verdict.SUPPORTED
    assert directional(a + 15.0, b).verdict is Verdict.SUPPORTED


def test_reversed_trend_is_refuted(record_rates):
    """Claim "increases over the levels" when it falls 1 SD per level."""
    means = -1.0 * np.arange(4)
    values = paired_normal(rng_for("can-fail-trend"), 1, N, means)[0]
    assert trend(values, levels=LEVELS).verdict is Verdict.REFUTED
    many = paired_normal(rng_for("can-fail-trend-many"), N_SIM, N, means)
    supported, refuted = record_rates(
        "can-fail", "trend", "falls 1 SD per level, claim increasing", N, trend_verdicts(many)
    )
    assert supported == 0.0 and refuted >= 0.95


def test_wrong_best_is_refuted(record_rates):
    """Claim "64 is best" when 1024 beats it by 2 SD."""
    means = [0.0, 0.0, 1.0, 2.0]
    values = paired_normal(rng_for("can-fail-best"), 1, N, means)[0]
    result = best_of(values, levels=LEVELS, best=[64])
    assert result.verdict is Verdict.REFUTED, result.message
    many = paired_normal(rng_for("can-fail-best-many"), N_SIM, N, means)
    scenario = "means (0, 0, 1, 2) SD, claim 64 best"
    verdicts = best_of_verdicts(many, [1])
    supported, refuted = record_rates("can-fail", "best_of", scenario, N, verdicts)
    assert supported == 0.0 and refuted >= 0.8
