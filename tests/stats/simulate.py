"""Array re-implementations of the engine's decisions, for Monte Carlo over many datasets.

Each ``*_verdicts`` function takes a batch of simulated datasets (leading axis: dataset) and
returns one verdict string per dataset, computed with array formulas instead of by calling the
engine, so thousands of datasets cost a few array operations. The calibration and power tests
check on a subsample that these verdicts equal the engine's own (``agrees_with_engine``), so
the simulated rates are the engine's rates. Page's exact null distribution is computed here by
enumerating permutations, independently of scipy.
"""

from __future__ import annotations

import itertools
import zlib
from functools import lru_cache

import numpy as np
from scipy import stats

BASE_SEED = 20240611


def rng_for(name: str) -> np.random.Generator:
    """A generator seeded from the base seed and a name, so each simulation is reproducible."""
    return np.random.default_rng([BASE_SEED, zlib.crc32(name.encode())])


# ---- data generators -------------------------------------------------------------------

def paired_normal(rng, size: int, n: int, means, rho: float = 0.5) -> np.ndarray:
    """Per-seed values of len(means) configurations, shape (size, n, len(means)).

    Each value has SD 1; configurations of one seed share a seed effect, so any two of them
    correlate rho (their difference has SD sqrt(2 (1 - rho)), 1 at rho = 0.5).
    """
    means = np.asarray(means, dtype=float)
    seed_effect = rng.normal(0.0, np.sqrt(rho), size=(size, n, 1))
    noise = rng.normal(0.0, np.sqrt(1 - rho), size=(size, n, means.size))
    return means + seed_effect + noise


def independent_normal(rng, size: int, n: int, mean: float, sd: float = 1.0) -> np.ndarray:
    """Per-seed values of one configuration, shape (size, n)."""
    return rng.normal(mean, sd, size=(size, n))


# ---- decisions -------------------------------------------------------------------------

def _verdicts(support_p: np.ndarray, refute_p: np.ndarray, alpha: float) -> np.ndarray:
    return np.where(
        support_p < alpha, "supported", np.where(refute_p < alpha, "refuted", "inconclusive")
    )


def _t_parts(a: np.ndarray, b: np.ndarray, paired: bool):
    """Mean difference, its standard error and df for each dataset; a, b shape (S, n)."""
    if paired:
        d = a - b
        n = d.shape[1]
        return d.mean(axis=1), np.sqrt(d.var(axis=1, ddof=1) / n), np.full(d.shape[0], n - 1.0)
    n_a, n_b = a.shape[1], b.shape[1]
    vn_a, vn_b = a.var(axis=1, ddof=1) / n_a, b.var(axis=1, ddof=1) / n_b
    df = (vn_a + vn_b) ** 2 / (vn_a**2 / (n_a - 1) + vn_b**2 / (n_b - 1))
    return a.mean(axis=1) - b.mean(axis=1), np.sqrt(vn_a + vn_b), df


def _directional_p(a, b, *, alternative, paired, margin):
    diff, se, df = _t_parts(a, b, paired)
    null = margin if alternative == "greater" else -margin
    t = (diff - null) / se
    upper, lower = stats.t.sf(t, df), stats.t.cdf(t, df)
    return (upper, lower) if alternative == "greater" else (lower, upper)


def directional_verdicts(a, b, *, alternative="greater", paired=False, margin=0.0, alpha=0.05):
    """a, b: shape (S, n_a), (S, n_b)."""
    p, q = _directional_p(a, b, alternative=alternative, paired=paired, margin=margin)
    return _verdicts(p, q, alpha)


def equivalence_verdicts(a, b, *, margin, paired=False, alpha=0.05):
    """a, b: shape (S, n_a), (S, n_b)."""
    diff, se, df = _t_parts(a, b, paired)
    t_lower, t_upper = (diff + margin) / se, (diff - margin) / se
    p = np.maximum(stats.t.sf(t_lower, df), stats.t.cdf(t_upper, df))
    q = np.minimum(stats.t.sf(t_upper, df), stats.t.cdf(t_lower, df))
    return _verdicts(p, q, alpha)


@lru_cache(maxsize=None)
def _page_exact_sf(n: int, k: int) -> np.ndarray:
    """sf[L] = P(L' >= L) under no trend, for integer L, by enumerating one block's k!
    orders and convolving n blocks."""
    weights = np.arange(1, k + 1)
    block = np.zeros(int(weights @ weights) + 1)
    for order in itertools.permutations(weights):
        block[int(weights @ np.array(order))] += 1
    block /= block.sum()
    pmf = np.array([1.0])
    for _ in range(n):
        pmf = np.convolve(pmf, block)
    return np.cumsum(pmf[::-1])[::-1]


def page_pvalue(L: np.ndarray, n: int, k: int) -> np.ndarray:
    """Page's one-sided p for statistics L of n blocks and k levels, by scipy's method rule."""
    if k > 8 or (n > 12 and k > 3) or n > 20:
        mean = n * k * (k + 1) ** 2 / 4
        var = n * k**2 * (k + 1) * (k**2 - 1) / 144
        return stats.norm.sf((L - mean) / np.sqrt(var))
    return _page_exact_sf(n, k)[L.astype(int)]


def page_statistic(values: np.ndarray) -> np.ndarray:
    """Page's L for each dataset, values shape (S, n, k) without ties."""
    ranks = values.argsort(axis=2).argsort(axis=2) + 1
    return (ranks.sum(axis=1) * np.arange(1, values.shape[2] + 1)).sum(axis=1)


def trend_verdicts(values, *, alternative="increasing", alpha=0.05):
    """values: shape (S, n_seeds, n_levels), continuous (no ties)."""
    _, n, k = values.shape
    ordered = values if alternative == "increasing" else values[:, :, ::-1]
    L = page_statistic(ordered)
    L_reversed = n * k * (k + 1) ** 2 // 2 - L  # sum of (k + 1 - j) R_j
    return _verdicts(page_pvalue(L, n, k), page_pvalue(L_reversed, n, k), alpha)


def holm_rows(p: np.ndarray) -> np.ndarray:
    """Holm-adjusted p-values along the last axis, p shape (S, m)."""
    m = p.shape[1]
    order = p.argsort(axis=1, kind="stable")
    scaled = np.take_along_axis(p, order, axis=1) * (m - np.arange(m))
    stepped = np.maximum.accumulate(scaled, axis=1)
    adjusted = np.empty_like(p)
    np.put_along_axis(adjusted, order, np.minimum(stepped, 1.0), axis=1)
    return adjusted


def best_of_verdicts(values, best, *, alternative="greater", paired=True, margin=0.0, alpha=0.05):
    """values: shape (S, n_seeds, n_levels); best: column indices claimed best."""
    others = [j for j in range(values.shape[2]) if j not in best]
    kw = dict(alternative=alternative, paired=paired, margin=margin)
    pairs = [_directional_p(values[:, :, i], values[:, :, j], **kw) for i in best for j in others]
    p = holm_rows(np.stack([pq[0] for pq in pairs], axis=1))
    q = holm_rows(np.stack([pq[1] for pq in pairs], axis=1))
    supported = np.all(p < alpha, axis=1)
    refuted = np.any(q < alpha, axis=1)
    return np.where(supported, "supported", np.where(refuted, "refuted", "inconclusive"))


def agrees_with_engine(verdicts: np.ndarray, engine_call, count: int = 200) -> None:
    """Assert that the engine's verdict equals the array verdict on the first ``count``
    datasets; ``engine_call(i)`` runs the engine on dataset i."""
    engine = np.array([engine_call(i).verdict.value for i in range(count)])
    mismatch = np.flatnonzero(engine != verdicts[:count])
    assert mismatch.size == 0, (
        f"array decision differs from the engine on datasets {mismatch[:10].tolist()}: "
        f"engine {engine[mismatch[:10]].tolist()} vs array {verdicts[mismatch[:10]].tolist()}"
    )
