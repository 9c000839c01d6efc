"""The part a verdict is shown with: found at any depth of nesting, with an interval that agrees.

A nested ``all_of``'s own difference and interval are its first part's, so a deciding part found
one level down can show a number that decides nothing (issue 21: fashion-mnist B2 showed the
loss ratio deep inside its margin while the accuracy part left it inconclusive). And a 95%
interval beside a verdict decided at the look's share of alpha under Holm can exclude the margin
beside "inconclusive": the interval at the verdict's own level must not.
"""

from __future__ import annotations

import numpy as np
import pytest

from fixtures.claims.claim import Claim
from fixtures.claims.conjunction import all_of
from fixtures.claims.decisions import Evaluated, decide
from fixtures.claims.outcomes import deciding_part, found_part
from fixtures.stats import directional, equivalence

B = np.array([0.8, 0.9, 1.0, 0.9, 0.85, 1.05])
CLEAR = directional(B + 1.0 + 0.05 * np.arange(6), B, paired=True)  # far above: supported
SHORT = directional(B - 0.5 + 0.05 * np.arange(6), B, paired=True)  # far below: refuted
NOISY = directional(B + np.array([0.3, -0.2, 0.25, -0.1, 0.2, -0.3]), B, paired=True)  # open


def claim(id_: str) -> Claim:
    return Claim(id=id_, experiment="test", english="-", turkish="-", metric="m", test="t")


def test_a_nested_conjunction_is_followed_down_to_the_test_that_decides():
    inner = all_of(("loss", CLEAR), ("accuracy", NOISY))
    outer = all_of(("bn1 vs bn2", all_of(("loss", CLEAR), ("accuracy", CLEAR))), ("bn1 vs bn4", inner))
    assert outer.verdict.value == "inconclusive"
    assert deciding_part(outer, "inconclusive") == ("bn1 vs bn4 / accuracy", NOISY)
    # One level down would stop at the inner conjunction, whose difference is its loss part's.
    assert inner.difference == CLEAR.difference != NOISY.difference
    assert deciding_part(outer, "supported") == ("bn1 vs bn2 / loss", CLEAR)


def test_a_nested_refutation_is_decided_by_its_weakest_test():
    outer = all_of(("BN", all_of(("accuracy", CLEAR), ("loss", SHORT))), ("no BN", CLEAR))
    assert outer.verdict.value == "refuted"
    assert deciding_part(outer, "refuted") == ("BN / loss", SHORT)


def test_one_test_is_its_own_deciding_part():
    assert deciding_part(SHORT, "refuted") == ("", SHORT)


def _family(rng, size):
    """Claims of random strength: some clearly hold, some clearly fail, most sit near the line."""
    family = []
    for i in range(size):
        a = B + rng.normal(0.2, 0.3) + rng.normal(0.0, 0.1, 6)
        c = B + rng.normal(0.0, 0.15) + rng.normal(0.0, 0.05, 6)
        result = all_of(("speed", directional(a, B, paired=True, margin=0.05)),
                        ("effect", equivalence(c, B, paired=True, margin=0.2)))
        family.append(Evaluated(claim(f"Z{i}"), result, None, (), ()))
    return family


@pytest.mark.parametrize("rule", ["holm", "per-claim"])
def test_the_interval_at_the_verdicts_level_never_contradicts_the_verdict(rule):
    """600 random claims, decided in families of 4 at random looks: the deciding test's interval
    at the level its verdict used clears the margin exactly when the verdict is decided."""
    rng = np.random.default_rng(21)
    checked = {"supported": 0, "refuted": 0, "inconclusive": 0}
    for _ in range(150):
        family, spent = _family(rng, 4), float(rng.choice([1.0, 0.357, 0.172]))
        decided = decide(family, rule, spent=spent)
        for e in family:
            d = decided[e.claim.id]
            part = found_part(e.result, d, e.claim.alpha)
            _, leaf = deciding_part(e.result, d.verdict)
            low, high = part["decision_ci"]
            assert part["decision_level"] >= 0.9
            beyond, short = _clears(leaf, low, high)
            assert (d.verdict == "supported") == beyond, (d, part)
            assert (d.verdict == "refuted") == short, (d, part)
            checked[d.verdict] += 1
    assert min(checked.values()) >= 20, checked  # every verdict was seen often enough to count


def _clears(leaf, low, high) -> tuple[bool, bool]:
    """Whether an interval lies where the claim needs it, and where the refutation does."""
    if leaf.test_name == "equivalence":
        inside = -leaf.margin < low and high < leaf.margin
        return inside, low > leaf.margin or high < -leaf.margin
    return low > leaf.null, high < leaf.null  # "greater" with its margin as the null


def test_an_untestable_claim_has_no_interval_at_a_decision_level():
    e = Evaluated(claim("Z1"), CLEAR, "untestable at this scale: x", (), ())
    part = found_part(CLEAR, decide([e], "holm")["Z1"], 0.05)
    assert "decision_ci" not in part and part["difference"] == CLEAR.difference


def test_the_95_percent_interval_is_kept_beside_it():
    e = Evaluated(claim("Z1"), NOISY, None, (), ())
    part = found_part(NOISY, decide([e], "holm", spent=0.357)["Z1"], 0.05)
    assert part["ci"] == pytest.approx(list(NOISY.confidence_interval(0.95)))
    assert part["decision_level"] > 0.95 and part["labels"] == ["a", "b"]


# Two supported parts of unequal strength: the second's p is the larger, so it binds the support.
STRONG = directional(B + 1.0 + 0.01 * np.arange(6), B, paired=True)
WEAKER = directional(B + 0.3 + np.array([0.1, -0.1, 0.12, -0.08, 0.05, -0.09]), B, paired=True)


def _found(result):
    e = Evaluated(claim("Z1"), result, None, (), ())
    return found_part(result, decide([e], "holm")["Z1"], 0.05)


def test_a_supported_claim_names_the_part_that_bound_it_when_not_the_headline():
    """Support needs every part, so the claim's p is the weaker part's: shown beside the headline
    (2026-12-07: ST3a's row named the loss range while the p beside it was beta's)."""
    result = all_of(("headline", STRONG), ("binding", WEAKER))
    assert result.verdict.value == "supported" and WEAKER.pvalue > STRONG.pvalue
    part = _found(result)
    assert part["name"] == "headline"  # the pin still follows the headline part
    assert part["bound_by"] == {"name": "binding", "pvalue": pytest.approx(result.pvalue)}


@pytest.mark.parametrize("result", [all_of(("headline", WEAKER), ("other", STRONG)), STRONG,
                                    all_of(("a", CLEAR), ("b", SHORT))],
                         ids=["headline binds", "one test", "refuted"])
def test_nothing_else_is_named_where_the_shown_part_is_the_one_that_decided(result):
    assert "bound_by" not in _found(result)


def test_the_verdict_summary_prints_the_binding_part():
    from fixtures.claims.outcomes import ClaimOutcome, verdict_lines
    result = all_of(("headline", STRONG), ("binding", WEAKER))
    outcome = ClaimOutcome(claim=claim("Z1").to_dict(), verdict="supported", expected="supported",
                           summary=result.to_dict(), message="", n_seeds=6, configs=[], scale="ci",
                           raw_verdict="supported", deciding_part=_found(result))
    bound = [line for line in verdict_lines([outcome]) if "bound by" in line]
    assert bound and bound[0].strip().startswith(f"bound by binding (p {result.pvalue:.3g})")
