"""``decide`` (fixtures/claims/decisions.py), the session's family-wise decision, against Holm by hand.

tests/stats/test_claim_procedures.py simulates ``adjust_family``; the session decides with
``decide``, which builds its own two Holm families (support on ``pvalue``, refutation on
``refutation_pvalue``), scales by the look's share of alpha (``spent``), carries claims settled
at an earlier look at p = 0 in the family that settled them, and puts a claim that cannot be
judged (untestable, or a result with a ``problem``) in both families at p = 1. Each of those is
checked here on numbers small enough to do by hand.

Results are real ``directional`` results (fixtures.stats) whose two p-values are planted with
``dataclasses.replace``, so the verdict rule is the engine's own and the Holm arithmetic exact.
Every test runs twice: on the support side, and mirrored (p and refutation p swapped, "refuted"
for "supported") on the refutation side, so neither family is tested through the other.
"""

from __future__ import annotations

import dataclasses

import pytest

from fixtures.claims.claim import Claim
from fixtures.claims.conjunction import all_of
from fixtures.claims.decisions import Evaluated, decide
from fixtures.stats import directional

pytestmark = pytest.mark.filterwarnings("error")

TOL = 1e-12  # Holm here is a few products and maxima of exact decimals: only float rounding
B = [0.8, 0.9, 1.0, 0.9, 0.85, 1.05]
HIGH = [2.0, 2.1, 2.2, 2.3, 2.4, 2.5]  # far above B: p about 1e-5, refutation p about 1
LOW = [0.0, 0.1, 0.05, 0.1, 0.0, 0.05]  # far below B: refutation p about 1e-5
ONE_SEED = directional([1.0], [0.5])  # fewer than 2 seeds: problem set, both p-values NaN

# A side: which family a test exercises, the verdict a rejection there gives, and the
# Decided field that carries that family's adjusted p.
SIDES = {
    "support": ("supported", "adjusted_pvalue", "adjusted_refutation_pvalue"),
    "refutation": ("refuted", "adjusted_refutation_pvalue", "adjusted_pvalue"),
}


def planted(x: float, side: str):
    """A real directional result whose p on ``side``'s family is ``x`` and on the other 1 - x
    (as for a one-sided pair of a continuous test)."""
    p, q = (x, 1 - x) if side == "support" else (1 - x, x)
    return dataclasses.replace(directional(HIGH, B, paired=True), pvalue=p, refutation_pvalue=q)


def evaluated(id_, result, untestable=None) -> Evaluated:
    claim = Claim(id=id_, experiment="t", english="-", turkish="-", metric="m", test="t")
    return Evaluated(claim, result, untestable, (), ())


def family_of(ps: dict, side: str) -> list[Evaluated]:
    return [evaluated(cid, planted(x, side)) for cid, x in ps.items()]


def adjusted(decided, field: str) -> dict:
    return {cid: getattr(d, field) for cid, d in decided.items()}


def mark(verdicts: str, side: str) -> list[str]:
    """'R' (a rejection on ``side``: supported or refuted) and '-' (inconclusive) per claim."""
    return [SIDES[side][0] if v == "R" else "inconclusive" for v in verdicts]


# ---- Holm in each family, the rule and the look's share ------------------------------------

FAMILY = {"Z1": 0.004, "Z2": 0.012, "Z3": 0.03, "Z4": 0.2}
# Holm, m = 4, in sorted order: 0.004 x 4 = 0.016, 0.012 x 3 = 0.036, 0.03 x 2 = 0.06,
# 0.2 x 1 = 0.2 (already monotone). The other family holds 0.996, 0.988, 0.97, 0.8: the
# smallest, 0.8 x 4 = 3.2, caps at 1 and the running maximum keeps every one at 1.
HOLM = {"Z1": 0.016, "Z2": 0.036, "Z3": 0.06, "Z4": 0.2}


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("spent, holm_verdicts, per_claim_verdicts", [
    # A fixed design: Holm rejects Z1, Z2 (0.016, 0.036 < 0.05); alone, Z3 (0.03) is a rejection too.
    (1.0, "RR--", "RRR-"),
    # A look spending half of alpha: Holm p / 0.5 = 0.032, 0.072, 0.12, 0.4 (only Z1 < 0.05);
    # alone, p / 0.5 = 0.008, 0.024, 0.06, 0.4 (Z1, Z2).
    (0.5, "R---", "RR--"),
], ids=["fixed", "half-alpha-look"])
def test_holm_in_each_family_against_hand_numbers(side, spent, holm_verdicts, per_claim_verdicts):
    word, this, other = SIDES[side]
    family = family_of(FAMILY, side)
    holm, per_claim = decide(family, "holm", spent=spent), decide(family, "per-claim", spent=spent)
    expected = {cid: min(p / spent, 1.0) for cid, p in HOLM.items()}
    for decided in (holm, per_claim):  # the adjusted p-values do not depend on the rule
        assert adjusted(decided, this) == pytest.approx(expected, abs=TOL)
        assert adjusted(decided, other) == pytest.approx(dict.fromkeys(FAMILY, 1.0), abs=TOL)
        assert [d.family_verdict for d in decided.values()] == mark(holm_verdicts, side)
    assert [d.verdict for d in holm.values()] == mark(holm_verdicts, side)
    assert [d.verdict for d in per_claim.values()] == mark(per_claim_verdicts, side)
    assert [d.raw_verdict for d in holm.values()] == mark("RRR-", side)  # at the claim's own alpha


# ---- claims settled at an earlier look ---------------------------------------------------

SETTLED = {"Z1": 0.04, "Z2": 0.02, "Z3": 0.98}


@pytest.mark.parametrize("side", SIDES)
def test_a_settled_claim_enters_the_family_that_settled_it_at_p_zero(side):
    """Z1 was settled (supported, or refuted on the mirrored side) at an earlier look, on a
    result with p = 0.04 there; Z2 has p = 0.02 and Z3 p = 0.98 (other family: 0.96, 0.98, 0.02).

    Its family, Z1 at 0: 0 x 3 = 0, 0.02 x 2 = 0.04, 0.98 x 1 = 0.98 -> Z2 at 0.04 is rejected.
    Had Z1 entered at its p, 0.02 x 3 = 0.06 would stop the step-down: Z2 not rejected.
    The other family keeps Z1 at its p (0.96): 0.02 x 3 = 0.06, then 0.96 x 2 and 0.98 cap at 1,
    so Z3 is not rejected there; had Z1 entered both families at 0, Z3 at 0.02 x 2 = 0.04 would be.
    """
    word, this, other = SIDES[side]
    decided = decide(family_of(SETTLED, side), "holm", settled={"Z1": word})
    assert adjusted(decided, this) == pytest.approx({"Z1": 0.0, "Z2": 0.04, "Z3": 0.98}, abs=TOL)
    assert adjusted(decided, other) == pytest.approx({"Z1": 1.0, "Z2": 1.0, "Z3": 0.06}, abs=TOL)
    assert [d.verdict for d in decided.values()] == mark("RR-", side)


# ---- claims that cannot be judged --------------------------------------------------------

def cannot_be_judged(kind: str, side: str) -> Evaluated:
    """A claim whose data alone would be a clear rejection on ``side`` (p about 1e-5), but which
    cannot be judged: its arms did not learn (untestable), or one part of its conjunction has
    a single seed (``problem`` set; ``all_of`` keeps the clear part's finite p)."""
    clear = directional(HIGH if side == "support" else LOW, B, paired=True)
    if kind == "untestable":
        return evaluated("X", clear, untestable="untestable at this scale: not learnt")
    return evaluated("X", all_of(("clear", clear), ("one seed", ONE_SEED)))


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("kind, verdict", [("untestable", "untestable"), ("problem", "inconclusive")])
def test_a_claim_that_cannot_be_judged_enters_both_families_at_p_one(kind, verdict, side):
    """X (p about 1e-5 on ``side``) beside Z2 (p = 0.03): X at p = 1 gives Holm, m = 2,
    0.03 x 2 = 0.06 for Z2, not rejected; X at its own p would give Z2 0.03 x 1 = 0.03, rejected.
    X's own family values are 1 (Holm of p = 1); its verdict is its own."""
    word, this, other = SIDES[side]
    x = cannot_be_judged(kind, side)
    own_p = x.result.pvalue if side == "support" else x.result.refutation_pvalue
    # X's own p would decide if it entered: the guard (untestable, problem) is what keeps it out.
    assert own_p < 1e-3 and bool(x.result.problem) == (kind == "problem")
    family = [x, evaluated("Z2", planted(0.03, side))]
    holm, per_claim = decide(family, "holm"), decide(family, "per-claim")
    assert getattr(holm["Z2"], this) == pytest.approx(0.06, abs=TOL)
    assert holm["Z2"].verdict == "inconclusive"
    assert per_claim["Z2"].verdict == word  # alone, 0.03 < 0.05
    for decided in (holm, per_claim):
        assert decided["X"].verdict == decided["X"].family_verdict == decided["X"].raw_verdict == verdict
    if kind == "problem":  # tested, so Holm reports its family values: p = 1 in both
        assert (holm["X"].adjusted_pvalue, holm["X"].adjusted_refutation_pvalue) == (1.0, 1.0)
    else:  # untestable: the raw values are shown, unadjusted
        shown = (holm["X"].adjusted_pvalue, holm["X"].adjusted_refutation_pvalue)
        assert shown == pytest.approx((x.result.pvalue, x.result.refutation_pvalue), abs=TOL)
