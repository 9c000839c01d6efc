"""The sequential design in a session: rounds of seeds, claims settled at the look that decides
them, and the fixed design under --seeds. (Its error rates: tests/stats/test_sequential_calibration.py.)"""

import math

import pytest

from fixtures.training.scales import SCALES, resolve_scale
from fixtures.claims.sequential import look_shares, spent_share

PLANTED = """
import pytest
from fixtures.claims.claim import Claim, claim_params
from fixtures.stats import directional

ZERO = [0.0] * 12
CLEAR = [10.0, 10.2, 9.9, 10.1, 10.0, 9.8, 10.3, 10.1, 9.9, 10.0, 10.2, 9.8]
LATE = [1.0, 0.2, 1.5, 0.9, 1.1, 1.3, 0.8, 1.2, 1.0, 0.9, 1.1, 1.0]  # t = 2.4 at 3 seeds
NONE = [0.5, -0.5, 0.4, -0.4, 0.3, -0.3, 0.6, -0.6, 0.2, -0.2, 0.1, -0.1]


def planted(cid, values):
    # The planted values grow with the look's seeds, as a claim's runs do.
    return Claim(id=cid, experiment="t", english="-", turkish="-", metric="m", test="t",
                 evaluate=lambda runs: directional(values[:runs.count], ZERO[:runs.count],
                                                   alternative="greater", paired=True))

Z1, Z2, Z3 = planted("Z1", CLEAR), planted("Z2", LATE), planted("Z3", NONE)

@pytest.mark.parametrize("claim", claim_params(Z1, Z2, Z3))
def test_claim(claim, judge):
    judge(claim)
"""


def run_planted(pytester, tmp_path, *args):
    pytester.makeconftest('pytest_plugins = ["fixtures.plugin"]')
    pytester.makepyfile(test_planted=PLANTED)
    return pytester.runpytest(f"--store={tmp_path / 's.sqlite'}", f"--report-dir={tmp_path / 'out'}", *args)


def test_each_claim_takes_the_seeds_it_needs(pytester, tmp_path):
    """Z1 is decided on 3 seeds, Z2 on 6; Z3, with no effect, uses all 12 and ends inconclusive."""
    result = run_planted(pytester, tmp_path)
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines([
        "*look 1/4 (3 seeds, 35.7% of alpha): 1 of 3 claims decided; open: Z2, Z3 -> seeds up to 6",
        "*look 2/4 (6 seeds, 26.3% of alpha): 1 of 2 claims decided; open: Z3 -> seeds up to 9",
        "*look 4/4 (12 seeds, 17.2% of alpha): 1 of 1 claims decided",
        "Z1 *supported * 3  1/4 *",
        "Z2 *supported * 6  2/4 *",
        "Z3 *inconclusive * 12  4/4 *",
    ])


def test_seeds_gives_the_fixed_design(pytester, tmp_path):
    """--seeds 6: one look at all of alpha; no look lines, every claim on 6 seeds."""
    result = run_planted(pytester, tmp_path, "--seeds=6")
    result.assert_outcomes(passed=2, failed=1)
    assert "look 1/" not in result.stdout.str()
    result.stdout.fnmatch_lines(["Z1 *supported * 6  1/1 *", "Z2 *supported * 6  1/1 *",
                                 "Z3 *inconclusive * 6  1/1 *"])


def test_the_report_and_evidence_carry_the_look(pytester, tmp_path):
    import json

    run_planted(pytester, tmp_path)
    evidence = json.loads((tmp_path / "out" / "evidence.json").read_text())
    found = {o["claim"]["id"]: (o["n_seeds"], o["look"], o["looks"]) for o in evidence["outcomes"]}
    assert found == {"Z1": (3, 1, 4), "Z2": (6, 2, 4), "Z3": (12, 4, 4)}
    assert evidence["settings"]["scale"]["looks"] == [3, 6, 9, 12]
    html = (tmp_path / "out" / "index.html").read_text()
    assert "decided at look 2 of 4 (6 seeds)" in html


@pytest.mark.parametrize("rule", ["pocock", "obrien-fleming"])
def test_the_looks_spend_all_of_alpha_and_no_more(rule):
    shares = look_shares((3, 6, 9, 12), rule)
    assert math.isclose(sum(shares), 1.0) and all(share > 0 for share in shares)
    assert look_shares((6,), rule) == (1.0,)
    assert math.isclose(spent_share(rule, 1.0), 1.0)


def test_pocock_spends_early_and_obrien_fleming_late():
    pocock, obf = look_shares((3, 6, 9, 12), "pocock"), look_shares((3, 6, 9, 12), "obrien-fleming")
    assert pocock[0] > 0.3 and obf[0] < 0.01  # 35.7% against 0.18% of alpha at 3 of 12 seeds
    assert obf[-1] > pocock[-1]


def test_the_default_scales_declare_their_rounds():
    assert SCALES["ci"].rounds == (3, 6, 9, 12) and SCALES["ci"].design == "sequential 3+3+3+3 seeds"
    assert SCALES["article"].rounds == (3, 6, 10)
    fixed = resolve_scale("ci", seeds=6)
    assert fixed.rounds == (6,) and fixed.looks == () and fixed.design == "fixed 6 seeds"


@pytest.mark.parametrize("looks", [(1, 12), (6, 3, 12), (3, 6, 9), (3, 3, 12)])
def test_bad_looks_are_refused(looks):
    from dataclasses import replace

    with pytest.raises(ValueError, match="looks must be increasing"):
        replace(SCALES["ci"], looks=looks)


def test_a_bad_spending_rule_is_a_one_line_usage_error(pytester):
    pytester.makeconftest('pytest_plugins = ["fixtures.plugin"]')
    result = pytester.runpytest("--spending=bonferroni")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unknown spending rule 'bonferroni'; choose one of pocock, obrien-fleming*"])
