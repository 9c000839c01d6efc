"""The sequential design's family-wise error with real effects in the family (carry-over simulated).

tests/stats/test_sequential_calibration.py holds the family to alpha under the global null,
where almost no claim settles, so the carry-over of settled claims (a claim settled at an
earlier look enters later looks' Holm at p = 0 in the family that settled it, at the p it was
settled on in the other; fixtures/claims/sequential.py) is hardly exercised there. Here 14
claims (the session's family) hold 10 true effects of 10 SD, which settle at look 1 or 2, beside
4 claims exactly at their null (true difference 0, margin 0: any support or refutation of them
is false). Effects point the claimed way ("support": nulls risk false support while the
effects sit at p = 0 in the support family) or the opposite way ("refutation": the effects are
rightly refuted and sit at 0 in the refutation family). 20,000 datasets per cell; the rates
over the 4 nulls are held to alpha + 3 SE = 0.0546 (test_claim_procedures.BOUND).

Broken control. Dropping the settled claims from a family is not one: Holm's step-down gives
the claims after k zeros the multipliers of a family without them, so p = 0 in the settling
family *is* dropping them (only the other family loses the settled claims' p, near 1 for true
effects; the rates below show it harmless). The carry-over a session could get wrong in a way
that inflates the error is handing the settled claims' alpha on twice: Holm already passes it to
the open claims through the zeros; the broken control ("handed-on") also gives the open claims
the whole family's level, alpha * share * m / open, as if the settled claims' shares were still
unspent. Under the global null nothing settles (open = m), so that control is the session's rule
and passes there; in a mixed family it exceeds the bound, which the checks below show.

Measured over the 4 nulls (false support / false refutation; bound 0.0546), with the
settled claims carried as the session does, dropped from both families, and handed on:

| effects | rule | session's carry-over | dropped | handed-on (broken) |
| --- | --- | --- | --- | --- |
| +10 SD ("support") | Pocock | 0.0362 / 0.0136 | 0.0364 / 0.0289 | **0.0816** / 0.0745 |
| +10 SD ("support") | O'Brien-Fleming | 0.0387 / 0.0131 | 0.0388 / 0.0387 | **0.1203** / 0.1191 |
| -10 SD ("refutation") | Pocock | 0.0130 / 0.0359 | 0.0279 / 0.0361 | 0.0738 / **0.0795** |
| -10 SD ("refutation") | O'Brien-Fleming | 0.0122 / 0.0374 | 0.0378 / 0.0375 | 0.1203 / **0.1200** |
| none (the global null, 14) | Pocock | 0.0414 / 0.0449 | | 0.0415 / 0.0449 |
| none (the global null, 14) | O'Brien-Fleming | 0.0428 / 0.0433 | | 0.0428 / 0.0433 |

Under the global null the handed-on control decides as the session does on all but 0.04% of
datasets; in the mixed family it lands at least 0.025 (16 Monte Carlo SE) past the bound.
The array procedure agrees with the engine's ``judge_in_rounds`` on datasets chosen where the
carry-over decides a verdict (a carry-over ignored, or the settled claims dropped from both
families, would give another verdict there), so the rates are the engine's.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pytest

from fixtures.claims.decisions import Evaluated
from fixtures.claims.sequential import judge_in_rounds, look_shares
from tests.stats.simulate import holm_rows, rng_for
from tests.stats.test_claim_procedures import ALPHA, BOUND, N_SIM, two_arms
from tests.stats.test_sequential_calibration import (
    FAMILY,
    LOOKS,
    RULES,
    by_look_and_claim,
    family_pq,
    first_seeds,
    planted_claim,
    pq_by_look,
)

pytestmark = pytest.mark.filterwarnings("error")

EFFECT = 10.0  # SD of the per-seed difference: settles at look 1 (Pocock: 77%) or 2 (the rest)
NULLS = 4  # the last NULLS claims of the family, at true difference 0
DIRECTIONS = {"support": ("supported", +EFFECT), "refutation": ("refuted", -EFFECT)}


def claim_proc(difference):
    """One claim "a - b > 0" (paired directional, margin 0) at a true ``difference``."""
    return two_arms("d", "directional", difference, alternative="greater", margin=0.0)


def draw_family(name, differences, size):
    """Per-seed data of each claim: a list of arrays (size, 12 seeds, 2 arms)."""
    rng = rng_for(name)
    return [claim_proc(d).draw(rng, size, LOOKS[-1], "normal") for d in differences]


def family_pqs(differences, data):
    """P, Q of shape (looks, datasets, claims)."""
    return by_look_and_claim([pq_by_look(claim_proc(d), x) for d, x in zip(differences, data)])


def family_verdicts(P, Q, shares, carry="zero", alpha=ALPHA):
    """Verdicts (datasets, claims) and the look (1-based) that decided each, 0 if none.

    At look k the open claims are decided by Holm at alpha * shares[k] (support first, as
    ``decide``), the settled ones carried by ``carry``:
    - "zero": the session's rule: p = 0 in the family that settled it, else the p it was
      settled on (as ``sequential_family`` of test_sequential_calibration.py);
    - "frozen": carry-over ignored: the p it was settled on in both families;
    - "dropped": left out of both families (p = 0 in both, which Holm makes the same thing);
    - "handed-on": BROKEN: dropped, and the open claims decided at the whole family's level,
      alpha * shares[k] * m / open, as if the settled claims' alpha were still to spend.
    """
    _, size, m = P.shape
    verdict = np.full((size, m), "inconclusive", dtype=object)
    decided_at = np.zeros((size, m), int)
    frozen_p, frozen_q = P[0].copy(), Q[0].copy()
    open_ = np.ones((size, m), bool)
    for k, share in enumerate(shares):
        supported, refuted = verdict == "supported", verdict == "refuted"
        if carry == "zero":
            p_settled = np.where(supported, 0.0, frozen_p)
            q_settled = np.where(refuted, 0.0, frozen_q)
        elif carry == "frozen":
            p_settled, q_settled = frozen_p, frozen_q
        else:
            p_settled = q_settled = np.zeros_like(frozen_p)
        p, q = np.where(open_, P[k], p_settled), np.where(open_, Q[k], q_settled)
        level = alpha * share
        if carry == "handed-on":
            level = level * m / np.maximum(open_.sum(axis=1, keepdims=True), 1)
        now_supported = open_ & (holm_rows(p) < level)
        now_refuted = open_ & ~now_supported & (holm_rows(q) < level)
        verdict[now_supported], verdict[now_refuted] = "supported", "refuted"
        now = now_supported | now_refuted
        frozen_p[now], frozen_q[now] = P[k][now], Q[k][now]
        decided_at[now] = k + 1
        open_ &= ~now
    return verdict.astype(str), decided_at


def mixed_differences(direction):
    return [DIRECTIONS[direction][1]] * (FAMILY - NULLS) + [0.0] * NULLS


@lru_cache(maxsize=None)
def mixed_pq(direction):
    differences = mixed_differences(direction)
    return family_pqs(differences, draw_family(f"seq-mixed {direction}", differences, N_SIM))


@lru_cache(maxsize=None)
def global_null_pq():
    return family_pq("seq-family-null", 0.0)


def null_rates(verdicts, nulls=NULLS):
    """Any false support, any false refutation among the last ``nulls`` claims (the true
    nulls), as one verdict per dataset."""
    nulls = verdicts[:, -nulls:]
    any_support = np.where((nulls == "supported").any(axis=1), "supported", "inconclusive")
    any_refute = np.where((nulls == "refuted").any(axis=1), "refuted", "inconclusive")
    return any_support, any_refute


def record_family(record_rates, kind, scenario, verdicts, nulls=NULLS):
    any_support, any_refute = null_rates(verdicts, nulls)
    supported, _ = record_rates(kind, "family", f"{scenario}: support", 12, any_support, bound=BOUND)
    _, refuted = record_rates(kind, "family", f"{scenario}: refutation", 12, any_refute,
                              refuted_bound=BOUND)
    return supported, refuted


# ---- the session's carry-over keeps the family-wise error --------------------------------

@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("direction", DIRECTIONS)
def test_a_mixed_family_keeps_the_familywise_error(direction, rule, record_rates):
    """10 effects of 10 SD settle early and sit at p = 0 while the 4 nulls are judged at every
    later look: any false support and any false refutation of a null stay within 0.0546.
    Measured: "support" 0.0362 / 0.0136 (Pocock), 0.0387 / 0.0131 (O'Brien-Fleming);
    "refutation" 0.0130 / 0.0359, 0.0122 / 0.0374."""
    P, Q = mixed_pq(direction)
    verdicts, decided_at = family_verdicts(P, Q, look_shares(LOOKS, rule))
    word, _ = DIRECTIONS[direction]
    effects = slice(0, FAMILY - NULLS)
    # The carry-over is exercised: every effect is rightly settled, by look 2, so it enters
    # looks 3 and 4 (and look 2, when settled at look 1) at p = 0 beside the open nulls.
    assert (verdicts[:, effects] == word).all()
    assert (decided_at[:, effects] <= 2).mean() > 0.999
    supported, refuted = record_family(record_rates, f"seq {rule}", f"mixed {direction}", verdicts)
    assert supported <= BOUND and refuted <= BOUND


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("direction", DIRECTIONS)
def test_handing_on_the_settled_claims_alpha_exceeds_it(direction, rule, record_rates):
    """The broken carry-over on the same datasets: the nulls' error on the effects' side goes
    past the bound: "support" false support 0.0816 (Pocock), 0.1203 (O'Brien-Fleming);
    "refutation" false refutation 0.0795, 0.1200 (20,000 datasets: SE 0.0015)."""
    P, Q = mixed_pq(direction)
    verdicts, _ = family_verdicts(P, Q, look_shares(LOOKS, rule), carry="handed-on")
    supported, refuted = record_family(record_rates, "seq broken",
                                       f"mixed {direction} handed-on, {rule}", verdicts)
    assert (supported if direction == "support" else refuted) > BOUND


@pytest.mark.parametrize("rule", RULES)
def test_the_global_null_cannot_tell_the_broken_carry_over(rule, record_rates):
    """Why the mixed family is needed: on test_sequential_calibration's global-null family
    (14 claims at 0, its own datasets) the handed-on control stays within the bound, as little
    settles there before a first false decision: it decides as the session's rule on all but
    0.035% (Pocock) and 0.015% (O'Brien-Fleming) of the datasets."""
    P, Q = global_null_pq()
    shares = look_shares(LOOKS, rule)
    verdicts, _ = family_verdicts(P, Q, shares, carry="handed-on")
    assert (verdicts != family_verdicts(P, Q, shares)[0]).any(axis=1).mean() < 0.001
    supported, refuted = record_family(record_rates, "seq broken",
                                       f"14 at the null handed-on, {rule}", verdicts, nulls=FAMILY)
    assert supported <= BOUND and refuted <= BOUND


def test_dropping_settled_claims_is_holm_at_p_zero():
    """Holm's identity behind the docstring: claims at p = 0 change no other claim's adjusted p
    from Holm over the family without them (so dropping is no broken control)."""
    rng = rng_for("holm zeros")
    p = rng.uniform(size=(2000, FAMILY))
    dropped = rng.uniform(size=p.shape) < 0.5
    with_zeros = holm_rows(np.where(dropped, 0.0, p))
    for row in range(200):
        keep = ~dropped[row]
        np.testing.assert_allclose(with_zeros[row, keep], holm_rows(p[row:row + 1, keep])[0],
                                   rtol=0, atol=1e-15)


# ---- the array procedure is the engine's, where the carry-over decides --------------------

SPREAD = (0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 5.0, -2.0, -3.0, -5.0)  # SD
POOL = 2000  # datasets searched for ones where the carry-over decides a verdict
PER_KIND = 6  # engine-checked datasets of each kind
# Under O'Brien-Fleming a look's share grows, so a claim's p stays below the next level and
# carrying it at 0 or at its p never differs: only the dropped control can differ there.
SENSITIVE = {"pocock": ("frozen", "dropped"), "obrien-fleming": ("dropped",)}


@pytest.mark.parametrize("rule", RULES)
def test_the_arrays_agree_with_judge_in_rounds_on_a_mixed_family(rule):
    """14 claims from no effect to 5 SD, both ways, judged by the engine's ``judge_in_rounds``
    (which calls ``decide`` at each look) and by ``family_verdicts``: the same verdicts, on the
    first datasets and on datasets where the carry-over ignored ("frozen") or the settled claims
    dropped from both families ("dropped") would decide otherwise."""
    data = draw_family(f"seq-mixed-engine {rule}", SPREAD, POOL)
    P, Q = family_pqs(SPREAD, data)
    shares = look_shares(LOOKS, rule)
    expected, _ = family_verdicts(P, Q, shares)
    chosen = list(range(PER_KIND))
    for carry in SENSITIVE[rule]:
        differs = np.flatnonzero((family_verdicts(P, Q, shares, carry)[0] != expected).any(axis=1))
        assert differs.size >= PER_KIND, f"{carry}: only {differs.size} of {POOL} datasets differ"
        chosen += differs[:PER_KIND].tolist()
    claims = [planted_claim(j) for j in range(len(SPREAD))]
    for i in dict.fromkeys(chosen):
        def evaluate_at(claim, n, i=i):
            j = int(claim.id[1:])
            result = claim_proc(SPREAD[j]).engine(first_seeds(data[j], n), i)
            return Evaluated(claim, result, None, (), ())
        settled = judge_in_rounds(claims, LOOKS, evaluate_at=evaluate_at, train=lambda c, n: None,
                                  rule="holm", spending=rule)
        assert [settled[c.id].decided.verdict for c in claims] == expected[i].tolist(), f"dataset {i}"
