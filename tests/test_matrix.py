"""The claim x variant matrix (reports/matrix.py) and per-variant expectations, on planted evidence."""

import json

import pytest

from fixtures.claims.claim import Expectation, band_around
from reports.expectations import main as print_expectations
from reports.matrix import matrix_markdown, robustness, variant_matrix


def outcome(claim_id, verdict, difference=0.05, ci=(0.04, 0.06), name="", untestable="", expected=None):
    return {"claim": {"id": claim_id, "english": f"claim {claim_id}"}, "verdict": verdict,
            "expected": expected or verdict, "n_seeds": 3, "unit": "seeds", "untestable": untestable,
            "deciding_part": {"name": name, "difference": difference, "ci": list(ci)}, "finding_changed": ""}


def evidence():
    variants = {
        "article": [outcome("A1", "supported"), outcome("C2", "refuted", name="mean test accuracy")],
        "lr-tuned": [outcome("A1", "refuted", -0.02, (-0.03, -0.01), name="mean test accuracy"),
                     outcome("C2", "refuted", name="mean test accuracy")],
        "fashion-mnist": [outcome("A1", "untestable", untestable="untestable at this scale: not learnt "
                                  "(mean final test accuracy below 0.5, chance 0.1): sigmoid-bn0-sgd-bs128 0.100"),
                          outcome("C2", "refuted", name="mean test accuracy")],
    }
    parts = {name: {"settings": {"scale": {"name": "ci", "variant": {"name": name, "change": f"change {name}"}}},
                    "outcomes": outs, "runs": {}} for name, outs in variants.items()}
    return {"schema": 1, "environment": {"date": "2026-11-27T00:00:00"}, "settings": parts["article"]["settings"],
            "outcomes": variants["article"], "runs": {}, "variants": parts}


def test_each_cell_gives_the_verdict_and_the_numbers_that_decided_it():
    matrix = variant_matrix(evidence())
    assert matrix["variants"] == ["article", "lr-tuned", "fashion-mnist"]
    a1 = matrix["rows"][0]
    assert a1["cells"]["lr-tuned"]["verdict"] == "refuted"
    assert a1["cells"]["lr-tuned"]["effect"] == "mean test accuracy: -0.02 [-0.03, -0.01]"
    assert a1["cells"]["fashion-mnist"]["effect"] == "not learnt: sigmoid-bn0-sgd-bs128 0.100"


def test_the_robustness_line_counts_the_variants_that_keep_the_article_verdict():
    rows = {row["id"]: row["summary"] for row in variant_matrix(evidence())["rows"]}
    assert rows["C2"] == "refuted in 3 of 3 variants"
    assert rows["A1"] == ("supported in 1 of 3 variants; flips: lr-tuned: refuted (mean test accuracy: -0.02 "
                          "[-0.03, -0.01]); fashion-mnist: untestable (not learnt: sigmoid-bn0-sgd-bs128 0.100)")
    assert robustness({"article": outcome("B2", "supported")}) == "supported in 1 of 1 variants"


def test_the_markdown_table_has_a_column_per_variant():
    lines = matrix_markdown(evidence()).splitlines()
    assert lines[0] == "| id | article | lr-tuned | fashion-mnist | robustness |"
    assert lines[2].startswith("| A1 | supported | refuted: mean test accuracy: -0.02")


def test_no_variants_section_means_no_matrix():
    plain = evidence()
    del plain["variants"]
    assert variant_matrix(plain) is None


def test_expectations_are_printed_per_variant(tmp_path, capsys):
    planted = evidence()
    # A single test (no part name) beside the all_of parts: its part must print as "", not "effect";
    # and C2 with its own numbers under one variant, so each variant prints its own outcome.
    planted["variants"]["lr-tuned"]["outcomes"].append(outcome("B1", "inconclusive", 0.01, (-0.02, 0.04)))
    planted["variants"]["fashion-mnist"]["outcomes"][1] = outcome("C2", "refuted", 0.07, (0.065, 0.075),
                                                                  name="mean test accuracy")
    path = tmp_path / "evidence.json"
    path.write_text(json.dumps(planted))
    assert print_expectations([str(path)]) == 0
    # Each line is "C2: 'ci': Expectation(...)," with Python to paste into claims/: read it as Python.
    printed, reasons = {}, {}
    for line in capsys.readouterr().out.splitlines():
        claim, source = line.split(": ", 1)
        names = {"Expectation": Expectation, "band_around": band_around}
        [(key, expectation)] = eval("{" + source + "}", names).items()
        printed[claim, key] = (expectation.verdict, expectation.part, expectation.effect, expectation.band)
        reasons[claim, key] = expectation.reason
    # band = the planted 95% CI widened by its own width on each side, by hand
    assert printed == {
        ("A1", "ci"): ("supported", "", 0.05, pytest.approx((0.02, 0.08), abs=1e-12)),  # supported: pinned too
        ("C2", "ci"): ("refuted", "mean test accuracy", 0.05, pytest.approx((0.02, 0.08), abs=1e-12)),
        ("A1", "ci/lr-tuned"): ("refuted", "mean test accuracy", -0.02, pytest.approx((-0.05, 0.01), abs=1e-12)),
        ("C2", "ci/lr-tuned"): ("refuted", "mean test accuracy", 0.05, pytest.approx((0.02, 0.08), abs=1e-12)),
        ("B1", "ci/lr-tuned"): ("inconclusive", "", 0.01, pytest.approx((-0.08, 0.10), abs=1e-12)),
        ("A1", "ci/fashion-mnist"): ("untestable", "sigmoid-bn0-sgd-bs128", None, None),
        ("C2", "ci/fashion-mnist"): ("refuted", "mean test accuracy", 0.07, pytest.approx((0.055, 0.085), abs=1e-12)),
    }
    assert list(printed) == [("A1", "ci"), ("C2", "ci"), ("A1", "ci/lr-tuned"), ("C2", "ci/lr-tuned"),
                             ("B1", "ci/lr-tuned"), ("A1", "ci/fashion-mnist"), ("C2", "ci/fashion-mnist")]
    assert reasons["A1", "ci/lr-tuned"] == ("measured 2026-11-27, 3 seeds: refuted, decided by mean test accuracy: "
                                            "difference -0.02 (95% CI [-0.03, -0.01])")
    assert reasons["A1", "ci/fashion-mnist"].startswith("measured 2026-11-27, 3 seeds: untestable at this scale")


def test_the_matrix_command_prints_it_or_says_why_not(tmp_path, capsys):
    from reports.__main__ import main

    path = tmp_path / "evidence.json"
    path.write_text(json.dumps(evidence()))
    assert main(["matrix", str(path)]) == 0
    assert capsys.readouterr().out.startswith("| id | article | lr-tuned | fashion-mnist |")
    plain = evidence()
    del plain["variants"]
    path.write_text(json.dumps(plain))
    assert main(["matrix", str(path)]) == 2
    assert "no variants section" in capsys.readouterr().err
