"""The claim x variant matrix (reports/matrix.py) and per-variant expectations, on planted evidence."""

import json

import pytest

from fixtures.claims.claim import Expectation, band_around
from reports.expectations import main as print_expectations
from reports.matrix import matrix_markdown, robustness, variant_matrix

C2_ARMS = ["sigmoid-bn0-adam-bs128", "sigmoid-bn1-sgd-bs128"]  # as a claim's part labels them


def outcome(claim_id, verdict, difference=0.05, ci=(0.04, 0.06), name="", untestable="", expected=None, *,
            labels=None, decision=None, n_seeds=3, summary=None):
    """A planted outcome; ``decision`` = (decision_ci, decision_level) as evidence from issue 21 on carries it."""
    part = {"name": name, "difference": difference, "ci": list(ci)}
    if labels:
        part["labels"] = list(labels)
    if decision:
        part["decision_ci"], part["decision_level"] = list(decision[0]), decision[1]
    return {"claim": {"id": claim_id, "english": f"claim {claim_id}", "alpha": 0.05}, "verdict": verdict,
            "expected": expected or verdict, "n_seeds": n_seeds, "unit": "seeds", "untestable": untestable,
            "deciding_part": part, "finding_changed": "", "summary": summary or {}}


def evidence():
    variants = {
        "article": [outcome("A1", "supported"), outcome("C2", "refuted", name="mean test accuracy")],
        "lr-tuned": [outcome("A1", "refuted", -0.02, (-0.03, -0.01), name="mean test accuracy"),
                     outcome("C2", "refuted", name="mean test accuracy")],
        "fashion-mnist": [outcome("A1", "untestable", untestable="untestable at this scale: not learnt "
                                  "(mean final test accuracy below 0.5, chance 0.1): sigmoid-bn0-sgd-bs128 0.100"),
                          outcome("C2", "refuted", name="mean test accuracy")],
    }
    return with_variants(variants)


def with_variants(variants: dict[str, list[dict]]) -> dict:
    parts = {name: {"settings": {"scale": {"name": "ci", "variant": {"name": name, "change": f"change {name}"}}},
                    "outcomes": outs, "runs": {}} for name, outs in variants.items()}
    first = next(iter(variants))
    return {"schema": 1, "environment": {"date": "2026-11-27T00:00:00"}, "settings": parts[first]["settings"],
            "outcomes": variants[first], "runs": {}, "variants": parts}


def test_each_cell_gives_the_verdict_and_the_numbers_that_decided_it():
    matrix = variant_matrix(evidence())
    assert matrix["variants"] == ["article", "lr-tuned", "fashion-mnist"]
    a1 = matrix["rows"][0]
    assert a1["cells"]["lr-tuned"]["verdict"] == "refuted"
    # Evidence without a decision interval: the 95% CI, labelled so.
    assert a1["cells"]["lr-tuned"]["effect"] == "mean test accuracy: -0.02 [-0.03, -0.01] (95% CI)"
    assert a1["cells"]["fashion-mnist"]["effect"] == "not learnt: sigmoid-bn0-sgd-bs128 0.100"


def test_a_cell_shows_the_interval_at_the_level_its_verdict_used():
    # A 95% CI that excludes 0 beside "inconclusive" reads as a contradiction; the interval at the
    # look's share of alpha under Holm (99.17% here) covers 0, as the verdict says.
    decided = outcome("A2", "inconclusive", 0.012, (0.002, 0.022), name="bn1 vs bn4 / final test accuracy",
                      decision=((-0.0011, 0.0255), 0.99167))
    matrix = variant_matrix(with_variants({"article": [outcome("A2", "supported")], "fashion-mnist": [decided]}))
    effect = matrix["rows"][0]["cells"]["fashion-mnist"]["effect"]
    assert effect == "bn1 vs bn4 / final test accuracy: +0.012 [-0.0011, +0.0255] at 99.17%"
    assert "95% CI" not in effect and "+0.002" not in effect


@pytest.mark.parametrize("verdict, name, difference, summary, shown", [
    ("refuted", "mean test accuracy", 0.07, {}, "refuted (bn0-adam > bn1-sgd)"),
    ("refuted", "mean test accuracy", -0.03, {}, "refuted (bn0-adam < bn1-sgd)"),
    ("refuted", "mean train loss (log ratio)", -1.26, {}, "refuted (lower loss: bn0-adam)"),
    ("refuted", "mean train loss (log ratio)", 0.4, {}, "refuted (lower loss: bn1-sgd)"),
    ("supported", "effect", 0.004, {"parts": [["effect", {"test": "equivalence"}]]},
     "supported (bn0-adam \u2248 bn1-sgd)"),
    ("supported", "effect", 0.004, {"parts": [["effect", {"test": "directional"}]]},
     "supported (bn0-adam > bn1-sgd)"),
    # L1: saturation compared at matched test loss is a saturation, not a loss, whatever the name holds.
    ("supported", "saturation at matched progress", -0.036, {}, "supported (less saturated: bn0-adam)"),
    ("inconclusive", "mean test accuracy", 0.07, {}, "inconclusive"),
], ids=["ahead", "behind", "lower-loss", "higher-loss", "equivalent", "directional", "less-saturated", "undecided"])
def test_a_decided_cell_shows_its_direction(verdict, name, difference, summary, shown):
    planted = outcome("C2", verdict, difference, name=name, labels=C2_ARMS, summary=summary)
    matrix = variant_matrix(with_variants({"article": [planted]}))
    assert matrix["rows"][0]["cells"]["article"]["label"] == shown


def test_a_part_without_arms_shows_no_direction():
    matrix = variant_matrix(with_variants({"article": [outcome("C2", "refuted", name="mean test accuracy")]}))
    assert matrix["rows"][0]["cells"]["article"]["label"] == "refuted"


def test_the_robustness_line_counts_the_variants_that_keep_the_article_verdict():
    rows = {row["id"]: row["summary"] for row in variant_matrix(evidence())["rows"]}
    assert rows["C2"] == "refuted in 3 of 3 variants"
    assert rows["A1"] == ("supported in 1 of 3 variants; flips: lr-tuned: refuted (mean test accuracy: -0.02 "
                          "[-0.03, -0.01] (95% CI)); untestable: fashion-mnist (not learnt: "
                          "sigmoid-bn0-sgd-bs128 0.100)")
    assert robustness({"article": outcome("B2", "supported")}) == "supported in 1 of 1 variants"


def test_an_undecided_variant_is_never_counted_as_a_flip():
    summary = robustness({
        "article": outcome("A2", "supported"),
        "lr-tuned": outcome("A2", "refuted", -0.02, (-0.03, -0.01), name="mean test accuracy",
                            labels=["relu-bn1-sgd-bs128", "relu-bn0-sgd-bs128"]),
        "fashion-mnist": outcome("A2", "inconclusive", 0.012, (0.002, 0.022), name="mean test accuracy",
                                 decision=((-0.0011, 0.0255), 0.9917), n_seeds=12),
        "resampled-data": outcome("A2", "untestable", untestable="untestable at this scale: not learnt "
                                  "(mean final test accuracy below 0.5, chance 0.1): relu-bn0-sgd-bs128 0.472"),
    })
    assert summary == ("supported in 1 of 4 variants; flips: lr-tuned: refuted (bn1 < bn0; mean test accuracy: "
                       "-0.02 [-0.03, -0.01] (95% CI)); not decided: fashion-mnist (12 seeds; mean test accuracy: "
                       "+0.012 [-0.0011, +0.0255] at 99.17%); untestable: resampled-data (not learnt: "
                       "relu-bn0-sgd-bs128 0.472)")
    # An undecided headline has nothing to flip: a variant that decides is listed as decided there only.
    undecided = robustness({"article": outcome("B2", "inconclusive"), "lr-tuned": outcome("B2", "supported")})
    assert undecided == ("inconclusive in 1 of 2 variants; decided here only: lr-tuned: supported "
                         "(+0.05 [+0.04, +0.06] (95% CI))")


def test_a_refutation_the_other_way_is_flagged():
    """C2: refuted in every variant, but Adam far better under the article's setup and worse under lr-tuned."""
    accuracy = {"name": "mean test accuracy", "labels": C2_ARMS}
    matrix = variant_matrix(with_variants({
        "article": [outcome("C2", "refuted", 0.0704, (0.063, 0.077), **accuracy)],
        "lr-tuned": [outcome("C2", "refuted", -0.0312, (-0.039, -0.023), **accuracy)],
        # Decided by the loss part instead: Adam's lower loss is Adam ahead, the article's way.
        "bn-before-activation": [outcome("C2", "refuted", -1.2, (-1.3, -1.1), name="mean train loss (log ratio)",
                                         labels=C2_ARMS)],
    }))
    row = matrix["rows"][0]
    assert [row["cells"][name]["other_way"] for name in ("article", "lr-tuned", "bn-before-activation")] == [
        False, True, False]
    assert row["cells"]["lr-tuned"]["label"] == "refuted the other way (bn0-adam < bn1-sgd)"
    assert row["summary"] == ("refuted in 3 of 3 variants; refuted the other way: lr-tuned (bn0-adam < bn1-sgd; "
                              "mean test accuracy: -0.0312 [-0.039, -0.023] (95% CI))")


def test_the_markdown_table_has_a_column_per_variant():
    lines = matrix_markdown(evidence()).splitlines()
    table = lines[lines.index("| id | article | lr-tuned | fashion-mnist | robustness |"):]
    assert table[2].startswith("| A1 | supported | refuted: mean test accuracy: -0.02")


@pytest.mark.parametrize("n_variants, bound", [(3, "0.15"), (5, "0.25")])
def test_the_markdown_opens_with_the_error_rate_across_its_variants(n_variants, bound):
    names = ["article", "bn-before-activation", "lr-tuned", "fashion-mnist", "resampled-data"][:n_variants]
    text = matrix_markdown(with_variants({name: [outcome("A1", "supported")] for name in names}))
    first = text.splitlines()[0]
    assert "its own Holm family at alpha = 0.05" in first
    assert f"k = {n_variants} variant columns is bounded only by k x alpha = {n_variants} x 0.05 = {bound}" in first
    assert "(Bonferroni)" in first
    # What an interval's level is, said once, before the table.
    assert text.count("the level the verdict used") == 1
    assert text.index("the level the verdict used") < text.index("| id |")


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
    printed = capsys.readouterr().out
    assert printed.startswith("Each variant column is its own Holm family") and "| id | article | lr-tuned |" in printed
    plain = evidence()
    del plain["variants"]
    path.write_text(json.dumps(plain))
    assert main(["matrix", str(path)]) == 2
    assert "no variants section" in capsys.readouterr().err


def test_an_untestable_cell_gives_its_own_reason_when_every_arm_learnt():
    """L1: the arms learnt, but no epochs of matched progress exist; 'not learnt' would be false."""
    from reports.matrix import why

    reason = "untestable at this scale: no epochs with test losses within a factor 1.1 (seed 2: 1.13): progress cannot be matched"
    assert why(outcome("L1", "untestable", untestable=reason)) == reason.removeprefix("untestable at this scale: ")
    stuck = "untestable at this scale: not learnt (a seed's test accuracy below 0.5 where compared, chance 0.1): x 0.113"
    assert why(outcome("D7", "untestable", untestable=stuck)) == "not learnt: x 0.113"


def one_variant_session(name: str, outcomes: list[dict], commit: str = "abc1234def") -> dict:
    """A session of ``--variant NAME`` alone: no ``variants`` map, its variant named in its scale."""
    settings = {"scale": {"name": "ci", "variant": {"name": name, "change": f"change {name}"}}, "trainer": "xla"}
    return {"schema": 1, "settings": settings, "outcomes": outcomes, "runs": {},
            "environment": {"date": "2026-12-01T02:00:00", "git_commit": commit, "versions": {"keras": "3.15.1"}}}


def test_sessions_of_one_variant_each_make_the_matrix_one_session_of_all_makes():
    from reports.matrix import combined

    whole = evidence()
    apart = [one_variant_session(name, part["outcomes"], commit=f"{index}bcdef0")
             for index, (name, part) in enumerate(whole["variants"].items())]
    merged = combined(apart)
    assert variant_matrix(merged)["rows"] == variant_matrix(whole)["rows"]
    first = matrix_markdown(merged).splitlines()[0]
    assert first == ("Columns from one session each: article 2026-12-01 02:00 (commit 0bcdef0); "
                     "lr-tuned 2026-12-01 02:00 (commit 1bcdef0); fashion-mnist 2026-12-01 02:00 (commit 2bcdef0).")


@pytest.mark.parametrize("change, message", [
    (lambda e: e["settings"]["scale"].update(name="article"), "differ in scale, trainer or library versions"),
    (lambda e: e["environment"]["versions"].update(keras="3.16.0"), "differ in scale, trainer or library versions"),
    (lambda e: e["settings"]["scale"]["variant"].update(name="article"), "variant 'article' is in more than one"),
])
def test_sessions_that_cannot_share_a_matrix_are_refused(change, message):
    from reports.matrix import combined

    second = one_variant_session("lr-tuned", [outcome("A1", "supported")])
    change(second)
    with pytest.raises(ValueError, match=message):
        combined([one_variant_session("article", [outcome("A1", "supported")]), second])


def test_the_matrix_command_combines_several_sessions(tmp_path, capsys):
    from reports.__main__ import main

    paths = []
    for name in ("article", "fashion-mnist"):
        paths.append(tmp_path / f"{name}.json")
        paths[-1].write_text(json.dumps(one_variant_session(name, [outcome("A1", "supported")])))
    assert main(["matrix", *map(str, paths)]) == 0
    assert "| id | article | fashion-mnist | robustness |" in capsys.readouterr().out
    clash = one_variant_session("article", [outcome("A1", "supported")])
    clash["settings"]["trainer"] = "fit"
    paths[1].write_text(json.dumps(clash))
    assert main(["matrix", *map(str, paths)]) == 2
    assert "differ in scale, trainer or library versions" in capsys.readouterr().err
