"""Calibration of the sequential design (fixtures/claims/sequential.py) by simulation.

Each dataset has 12 seeds; look k judges the claim on its first 3, 6, 9 or 12, at that look's
share of alpha, and a claim decided at a look keeps that decision. Measured here, 20,000
datasets per cell:
1. false support at the least favourable null and false refutation at the boundary, for the
   claim shapes of tests/stats/test_claim_procedures.py, under both spending rules, held to
   alpha + 3 SE; a broken design that tests every look at the whole alpha exceeds it;
2. the same for a family of 14 claims decided by Holm at each look (the session's rule);
3. power and the expected seeds per claim against the fixed design of 6 and of 4 seeds.
The array procedure here agrees with the engine's ``judge_in_rounds`` on a subsample.
"""

from __future__ import annotations

import numpy as np
import pytest

from fixtures.claims.claim import Claim
from fixtures.claims.decisions import Evaluated
from fixtures.claims.sequential import judge_in_rounds, look_shares
from tests.stats.simulate import holm_rows, rng_for
from tests.stats.test_claim_procedures import (
    ALPHA,
    BOUND,
    BOUNDARY,
    LEAST_FAVOURABLE,
    N_SIM,
    two_arms,
)

pytestmark = pytest.mark.filterwarnings("error")

LOOKS = (3, 6, 9, 12)
RULES = ("pocock", "obrien-fleming")
SHAPES = ("faster m0.5, loss at margin", "similar m1.5, +margin", "B2 six TOST, one at -margin",
          "improves_along, loss flat", "D4, batch 64 at 0")
BOUNDARY_SHAPES = ("faster m0.5", "similar m1.5", "improves_along", "D4")
FAMILY = 14  # the session's empirical claims
ENGINE_CHECKS = 40


def first_seeds(data, n):
    """The data of the first ``n`` seeds (axis 1 of every array, nested like the procedure)."""
    if isinstance(data, list):
        return [first_seeds(d, n) for d in data]
    return data[:, :n]


def pq_by_look(proc, data, looks=LOOKS):
    return [proc.pq(first_seeds(data, n)) for n in looks]


def sequential(pqs, shares, alpha=ALPHA):
    """Verdict and seeds used per dataset: at look k, supported if p < alpha * share_k, else
    refuted if q < alpha * share_k; once decided, kept. Open at the last look: inconclusive."""
    size = pqs[0][0].shape[0]
    verdict = np.full(size, "inconclusive", dtype=object)
    seeds = np.full(size, LOOKS[len(pqs) - 1])
    open_ = np.ones(size, bool)
    for (p, q), share, n in zip(pqs, shares, LOOKS):
        supported = open_ & (p < alpha * share)
        refuted = open_ & ~supported & (q < alpha * share)
        verdict[supported], verdict[refuted] = "supported", "refuted"
        seeds[supported | refuted] = n
        open_ &= ~(supported | refuted)
    return verdict.astype(str), seeds


def sequential_family(P, Q, shares, alpha=ALPHA):
    """The session's rule over a family: P, Q of shape (looks, datasets, claims). At each look
    Holm over all claims, settled ones at their p then (0 in the family that settled them)."""
    _, size, m = P.shape
    verdict = np.full((size, m), "inconclusive", dtype=object)
    frozen_p, frozen_q = P[0].copy(), Q[0].copy()
    open_ = np.ones((size, m), bool)
    for k, share in enumerate(shares):
        p = np.where(open_, P[k], np.where(verdict == "supported", 0.0, frozen_p))
        q = np.where(open_, Q[k], np.where(verdict == "refuted", 0.0, frozen_q))
        supported = open_ & (holm_rows(p) < alpha * share)
        refuted = open_ & ~supported & (holm_rows(q) < alpha * share)
        verdict[supported], verdict[refuted] = "supported", "refuted"
        decided = supported | refuted
        frozen_p[decided], frozen_q[decided] = P[k][decided], Q[k][decided]
        open_ &= ~decided
    return verdict.astype(str)


def broken_full_alpha(looks=LOOKS):
    """BROKEN design: every look at the whole alpha (peeking without spending)."""
    return (1.0,) * len(looks)


def simulate(proc, name, size=N_SIM):
    return proc.draw(rng_for(name), size, LOOKS[-1], "normal")


# ---- 1. one claim -----------------------------------------------------------------------

@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("shape", SHAPES)
def test_false_support_at_the_least_favourable_null(shape, rule, record_rates):
    supported = false_support(shape, look_shares(LOOKS, rule), f"seq {rule}", record_rates)
    assert supported <= BOUND


@pytest.mark.parametrize("shape", ["faster m0.5, loss at margin", "faster m0, loss at 0"])
def test_peeking_at_the_whole_alpha_inflates_false_support(shape, record_rates):
    """The broken design this guards against: four looks each at alpha 0.05."""
    assert false_support(shape, broken_full_alpha(), "seq broken", record_rates) > BOUND


def false_support(shape, shares, kind, record_rates):
    proc = LEAST_FAVOURABLE[shape]
    verdicts, _ = sequential(pq_by_look(proc, simulate(proc, f"seq-null {shape}")), shares)
    supported, _ = record_rates(kind, "false supp", shape, 12, verdicts, bound=BOUND)
    return supported


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("shape", BOUNDARY_SHAPES)
def test_false_refutation_at_the_boundary(shape, rule, record_rates):
    proc = BOUNDARY[shape]
    pqs = pq_by_look(proc, simulate(proc, f"seq-boundary {shape}"))
    verdicts, _ = sequential(pqs, look_shares(LOOKS, rule))
    supported, refuted = record_rates(f"seq {rule}", "false ref", shape, 12, verdicts,
                                      bound=BOUND, refuted_bound=BOUND)
    assert refuted <= BOUND and supported <= BOUND


# ---- 2. a family of claims, Holm at each look -------------------------------------------

def family_pq(name, difference, size=N_SIM, m=FAMILY):
    """m independent one-part claims ('a - b > 0', paired), each at true difference
    ``difference`` (SD units of the difference); P, Q of shape (looks, size, m)."""
    proc = two_arms("d", "directional", difference, alternative="greater", margin=0.0)
    rng = rng_for(name)
    data = [proc.draw(rng, size, LOOKS[-1], "normal") for _ in range(m)]
    return by_look_and_claim([pq_by_look(proc, d) for d in data])


def by_look_and_claim(pqs):
    """[claim][look] -> (p, q) as two arrays of shape (looks, datasets, claims)."""
    looks = range(len(pqs[0]))
    P = np.stack([np.stack([claim[k][0] for claim in pqs], axis=-1) for k in looks])
    Q = np.stack([np.stack([claim[k][1] for claim in pqs], axis=-1) for k in looks])
    return P, Q


@pytest.mark.parametrize("rule", RULES)
def test_a_family_at_the_null_keeps_the_familywise_error(rule, record_rates):
    """14 claims, every one exactly at its null: any false support, any false refutation."""
    P, Q = family_pq("seq-family-null", 0.0)
    verdicts = sequential_family(P, Q, look_shares(LOOKS, rule))
    any_support = np.where((verdicts == "supported").any(axis=1), "supported", "inconclusive")
    any_refute = np.where((verdicts == "refuted").any(axis=1), "refuted", "inconclusive")
    supported, _ = record_rates(f"seq {rule}", "family", "14 claims at the null: support", 12,
                                any_support, bound=BOUND)
    _, refuted = record_rates(f"seq {rule}", "family", "14 claims at the null: refutation", 12,
                              any_refute, refuted_bound=BOUND)
    assert supported <= BOUND and refuted <= BOUND


def test_a_family_peeking_at_the_whole_alpha_exceeds_it(record_rates):
    P, Q = family_pq("seq-family-null", 0.0)
    verdicts = sequential_family(P, Q, broken_full_alpha())
    any_support = np.where((verdicts == "supported").any(axis=1), "supported", "inconclusive")
    supported, _ = record_rates("seq broken", "family", "14 claims at the null: support", 12,
                                any_support, bound=BOUND)
    assert supported > BOUND


# ---- 3. power and seeds spent against the fixed design -----------------------------------

EFFECTS = (0.5, 1.0, 2.0, 5.0)  # true difference in SD of the per-seed difference


def power_and_seeds(difference, name):
    proc = two_arms("d", "directional", difference, alternative="greater", margin=0.0)
    data = simulate(proc, name)
    designs = {f"fixed {n}": ([proc.pq(first_seeds(data, n))], (1.0,), n) for n in (4, 6)}
    out = {}
    for label, (pqs, shares, n) in designs.items():
        verdicts = np.where(pqs[0][0] < ALPHA, "supported", "inconclusive")
        out[label] = (float((verdicts == "supported").mean()), float(n))
    pqs = pq_by_look(proc, data)
    for rule in RULES:
        verdicts, seeds = sequential(pqs, look_shares(LOOKS, rule))
        out[f"seq {rule}"] = (float((verdicts == "supported").mean()), float(seeds.mean()))
    return out


@pytest.fixture(scope="module")
def power_table(monte_carlo_log):
    table = {d: power_and_seeds(d, f"seq-power {d}") for d in EFFECTS}
    for d, row in table.items():
        for design, (power, seeds) in row.items():
            monte_carlo_log.append({"kind": design, "assertion": "power", "scenario":
                                    f"difference {d} SD; mean seeds {seeds:.2f}", "n": 12,
                                    "n_sim": N_SIM, "supported_rate": power, "refuted_rate": 0.0,
                                    "bound": None, "refuted_bound": None})
    return table


def test_a_clear_effect_stops_at_the_first_round(power_table):
    """A1-like effects (5 SD) are nearly always decided on 3 seeds under Pocock spending (3.2
    seeds on average): about half the seeds of the fixed design of 6, with the same power."""
    power, seeds = power_table[5.0]["seq pocock"]
    assert power > 0.99 and seeds < 3.5


def test_a_small_effect_gets_more_seeds_and_more_power(power_table):
    """Where the fixed design of 6 seeds is underpowered (1 SD: power about 0.7), the sequential
    design spends more seeds on it and finds it more often."""
    fixed_power, _ = power_table[1.0]["fixed 6"]
    power, seeds = power_table[1.0]["seq pocock"]
    assert fixed_power < 0.9 and power > fixed_power and seeds > 6


# ---- the array procedure is the engine's -------------------------------------------------

def planted_claim(i):
    return Claim(id=f"S{i}", experiment="t", english="-", turkish="-", metric="m", test="t")


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("difference", [0.0, 1.0])
def test_the_arrays_agree_with_judge_in_rounds(rule, difference):
    """Four claims per dataset, decided by the engine's own judge_in_rounds (Holm at each look)
    and by ``sequential_family``: the same verdicts."""
    proc = two_arms("d", "directional", difference, alternative="greater", margin=0.0)
    m, count = 4, ENGINE_CHECKS
    rng = rng_for(f"seq-engine {difference}")
    data = [proc.draw(rng, count, LOOKS[-1], "normal") for _ in range(m)]
    P, Q = by_look_and_claim([pq_by_look(proc, d) for d in data])
    expected = sequential_family(P, Q, look_shares(LOOKS, rule))
    claims = [planted_claim(j) for j in range(m)]
    for i in range(count):
        def evaluate_at(claim, n, i=i):
            j = int(claim.id[1:])
            return Evaluated(claim, proc.engine(first_seeds(data[j], n), i), None, (), ())
        settled = judge_in_rounds(claims, LOOKS, evaluate_at=evaluate_at, train=lambda c, n: None,
                                  rule="holm", spending=rule)
        assert [settled[c.id].decided.verdict for c in claims] == expected[i].tolist()
