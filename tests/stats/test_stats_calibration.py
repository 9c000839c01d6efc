"""Calibration: under a true null, how often does each assertion wrongly conclude?

Datasets are simulated in batches with a fixed seed and judged by the array decisions of
``simulate`` (checked against the engine on the first 200 datasets of every scenario). At the
boundary of each claim (true difference exactly at the margin, no trend, all levels equal),
the false-SUPPORTED rate must be at most alpha plus three Monte Carlo standard errors. The
false-REFUTED rate (there the opposite conclusion is wrong too) is held to alpha plus four
standard errors: these are some 70 extra checks, and at three standard errors about one in ten
runs would see one exceed by chance alone (the paired t-test, exact under normality, shows
5.51% refuted at n=5 with this seed: 3.3 standard errors).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from fixtures.stats import best_of, directional, equivalence, trend
from tests.known_defects import KnownDefect, shows_defect
from tests.stats.simulate import (
    agrees_with_engine,
    best_of_verdicts,
    directional_verdicts,
    equivalence_verdicts,
    independent_normal,
    paired_normal,
    rng_for,
    trend_verdicts,
)

pytestmark = pytest.mark.filterwarnings("error")

ALPHA = 0.05
N_SIM = 20_000


def bound(n_sim: int = N_SIM, alpha: float = ALPHA, z: float = 3.0) -> float:
    """alpha plus z Monte Carlo standard errors of a rate estimated from n_sim datasets."""
    return alpha + z * math.sqrt(alpha * (1 - alpha) / n_sim)


def refuted_bound(n_sim: int = N_SIM, alpha: float = ALPHA) -> float:
    return bound(n_sim, alpha, z=4.0)


def assert_calibrated(record_rates, assertion, scenario, n, verdicts, refuted_alpha=ALPHA):
    """Log the rates, then hold them to their bounds."""
    limits = bound(), refuted_bound(alpha=refuted_alpha)
    supported, refuted = record_rates("calibration", assertion, scenario, n, verdicts, *limits)
    assert supported <= limits[0]
    assert refuted <= limits[1]


def two_arms(name: str, n: int, difference: float, *, paired: bool, size: int = N_SIM):
    """Arms a and b with SD 1 and mean(a) - mean(b) = difference; shape (size, n) each."""
    rng = rng_for(name)
    if paired:
        values = paired_normal(rng, size, n, [difference, 0.0])
        return values[..., 0], values[..., 1]
    return independent_normal(rng, size, n, difference), independent_normal(rng, size, n, 0.0)


@pytest.mark.parametrize("n", [3, 5, 6], ids=lambda n: f"n{n}")
@pytest.mark.parametrize("paired", [False, True], ids=["welch", "paired"])
@pytest.mark.parametrize(
    "alternative, margin",
    [("greater", 0.0), ("greater", 0.5), ("less", 0.5)],
    ids=["greater-m0", "greater-m0.5", "less-m0.5"],
)
def test_directional_at_the_margin(alternative, margin, paired, n, record_rates):
    null = margin if alternative == "greater" else -margin
    scenario = f"{'paired' if paired else 'welch'} {alternative} margin {margin} true diff {null}"
    a, b = two_arms(f"calibration-directional-{scenario}-{n}", n, null, paired=paired)
    verdicts = directional_verdicts(a, b, alternative=alternative, paired=paired, margin=margin)
    agrees_with_engine(
        verdicts,
        lambda i: directional(a[i], b[i], alternative=alternative, paired=paired, margin=margin),
    )
    assert_calibrated(record_rates, "directional", scenario, n, verdicts)


@pytest.mark.parametrize(
    "n_a, sd_a, n_b, sd_b", [(5, 1.0, 5, 4.0), (3, 1.0, 3, 4.0), (5, 3.0, 3, 1.0)],
    ids=["5v5-sd1v4", "3v3-sd1v4", "5v3-sd3v1"],
)
def test_welch_with_unequal_variances(n_a, sd_a, n_b, sd_b, record_rates):
    rng = rng_for(f"calibration-welch-{n_a}-{sd_a}-{n_b}-{sd_b}")
    a = independent_normal(rng, N_SIM, n_a, 0.0, sd_a)
    b = independent_normal(rng, N_SIM, n_b, 0.0, sd_b)
    verdicts = directional_verdicts(a, b)
    agrees_with_engine(verdicts, lambda i: directional(a[i], b[i]))
    scenario = f"welch n {n_a}/{n_b} sd {sd_a:g}/{sd_b:g} true diff 0"
    assert_calibrated(record_rates, "directional", scenario, min(n_a, n_b), verdicts)


@pytest.mark.xfail(
    strict=True,
    raises=KnownDefect,  # an engine/array disagreement is a real failure, not this one
    reason="Welch's t is liberal (about 5.6% at alpha 5%) when the noisier arm has only 3 seeds "
    "and the other 5; the suite's designs are balanced (same seeds in every arm)",
)
def test_welch_unbalanced_small_noisy_arm(record_rates):
    n_sim = 100_000
    rng = rng_for("calibration-welch-unbalanced")
    a = independent_normal(rng, n_sim, 3, 0.0, 3.0)
    b = independent_normal(rng, n_sim, 5, 0.0, 1.0)
    verdicts = directional_verdicts(a, b)
    agrees_with_engine(verdicts, lambda i: directional(a[i], b[i]))
    supported, _ = record_rates(
        "calibration", "directional", "welch n 3/5 sd 3/1 true diff 0 (known liberal)", 3,
        verdicts, bound(n_sim), refuted_bound(n_sim),
    )
    shows_defect(supported <= bound(n_sim), f"false support {supported:.4f} > bound {bound(n_sim):.4f}")


@pytest.mark.parametrize("n", [3, 5, 6], ids=lambda n: f"n{n}")
@pytest.mark.parametrize("paired", [False, True], ids=["welch", "paired"])
@pytest.mark.parametrize("margin", [1.5, 5.0], ids=["m1.5sd", "m5sd"])
@pytest.mark.parametrize("edge", [1.0, -1.0], ids=["at+margin", "at-margin"])
def test_equivalence_at_the_margin(edge, margin, paired, n, record_rates):
    scenario = f"{'paired' if paired else 'welch'} margin {margin} true diff {edge * margin:+g}"
    a, b = two_arms(f"calibration-equivalence-{scenario}-{n}", n, edge * margin, paired=paired)
    verdicts = equivalence_verdicts(a, b, margin=margin, paired=paired)
    agrees_with_engine(verdicts, lambda i: equivalence(a[i], b[i], margin=margin, paired=paired))
    assert_calibrated(record_rates, "equivalence", scenario, n, verdicts)


@pytest.mark.parametrize("n", [3, 5], ids=lambda n: f"n{n}")
def test_equivalence_refutation_with_a_tiny_margin(n, record_rates):
    """With the margin far below the standard error, each side of the refutation is a
    level-alpha test and together they approach 2 alpha (documented in ``equivalence``)."""
    scenario = "welch margin 0.05 true diff 0 (refutation worst case)"
    a, b = two_arms(f"calibration-equivalence-tiny-{n}", n, 0.0, paired=False)
    verdicts = equivalence_verdicts(a, b, margin=0.05)
    agrees_with_engine(verdicts, lambda i: equivalence(a[i], b[i], margin=0.05))
    assert_calibrated(record_rates, "equivalence", scenario, n, verdicts, refuted_alpha=2 * ALPHA)


@pytest.mark.parametrize(
    "n, k, alternative",
    [(3, 4, "increasing"), (5, 4, "increasing"), (6, 4, "increasing"), (5, 3, "increasing"),
     (5, 4, "decreasing"), (15, 4, "increasing")],
    ids=["n3-k4", "n5-k4", "n6-k4", "n5-k3", "n5-k4-decreasing", "n15-k4-asymptotic"],
)
def test_trend_without_trend(n, k, alternative, record_rates):
    rng = rng_for(f"calibration-trend-{n}-{k}-{alternative}")
    values = paired_normal(rng, N_SIM, n, np.zeros(k))
    verdicts = trend_verdicts(values, alternative=alternative)
    levels = list(range(k))
    agrees_with_engine(verdicts, lambda i: trend(values[i], levels=levels, alternative=alternative))
    scenario = f"{k} i.i.d. levels, {alternative}"
    assert_calibrated(record_rates, "trend", scenario, n, verdicts)


@pytest.mark.parametrize("n", [3, 5, 6], ids=lambda n: f"n{n}")
@pytest.mark.parametrize(
    "means, best",
    [((0, 0, 0, 0), (0,)), ((0, 0, 0, 0), (0, 1)), ((0, 0, -10, -10), (0,))],
    ids=["all-equal-1best", "all-equal-2best", "least-favourable"],
)
def test_best_of_without_a_best(means, best, n, record_rates):
    """All levels equal, and the least favourable null: the claimed best ties one level and
    beats the rest by 10 SD, so only one comparison stands between the claim and support."""
    values = paired_normal(rng_for(f"calibration-best-of-{means}-{best}-{n}"), N_SIM, n, means)
    verdicts = best_of_verdicts(values, list(best))
    levels = ["a", "b", "c", "d"]
    names = [levels[i] for i in best]
    agrees_with_engine(verdicts, lambda i: best_of(values[i], levels=levels, best=names))
    scenario = f"means {means} best {names}"
    assert_calibrated(record_rates, "best_of", scenario, n, verdicts)
