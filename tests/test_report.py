"""The HTML evidence report (``reports/``): content, self-containment, the CLI (``build``, ``table``),
the nightly comparison.

Everything is built from a small real smoke-scale evidence file (``tests/data/``, made by
``tests/data/trim.py``); nothing trains. The page is built once per module; the browser tests
(no network requests; the summary table and the matrix fit a 1,400 px window) need Chromium
(Debian package ``chromium``), which ``.ci/run`` installs.
"""

from __future__ import annotations

import copy
import gzip
import json
import math
import os
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from markupsafe import escape
from scipy import stats

from reports import EvidenceError, build_report, compare, load_evidence
from reports.build import ARITHMETIC_TITLE, as_expected, render, verdict_cell, verdict_table
from reports.compare import same_scale, welch_pvalue
from reports.directions import find_part
from reports.formatting import DECISION_LEVEL_NOTE, interval, number, pvalue, signed
from reports.metrics import accuracy_difference_error, final_test_accuracy, mean_train_loss
from tests.prerequisites import missing

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).parents[1]

CLAIM_IDS = [o["claim"]["id"] for o in json.loads((DATA / "evidence.json").read_text())["outcomes"]]
ARITHMETIC = ["D5", "D6"]  # claim kind "arithmetic" in the fixture

# The figures each claim's section must show, by their titles (the backing figure first).
FIGURES = {
    "A1": ["Training curves"],
    "B1": ["Training curves", "Means per level"],
    "B2": ["Training curves", "Equivalence against the margin"],
    "C2": ["Training curves", "Equivalence against the margin"],
    "D3": ["Training curves", "Equivalence against the margin"],
    "D5": ["Training curves", "Means per level"],
    "D6": ["Epoch time per batch size", "Means per level"],
    "L1": ["Layer outputs at test time", "Training curves"],
}

BROWSER_TIMEOUT_S = 120


@pytest.fixture(scope="module")
def evidence() -> dict:
    return json.loads((DATA / "evidence.json").read_text())


@pytest.fixture(scope="module")
def benchmarks() -> list[dict]:
    return json.loads((DATA / "benchmarks.json").read_text())


@pytest.fixture(scope="module")
def report(tmp_path_factory, evidence, benchmarks) -> Path:
    return build_report(evidence, tmp_path_factory.mktemp("report"), benchmarks=benchmarks)


@pytest.fixture(scope="module")
def page(report) -> str:
    return report.read_text(encoding="utf-8")


@pytest.fixture
def benchmark_json(tmp_path, evidence, benchmarks) -> Path:
    """A pytest-benchmark JSON as ``--benchmark-json`` writes it, with the evidence under "bnclaims"."""
    path = tmp_path / "benchmark.json"
    path.write_text(json.dumps({
        "machine_info": {"machine": "x86_64"}, "commit_info": {"id": "0" * 40},
        "benchmarks": benchmarks, "datetime": "2026-11-25T21:34:43", "version": "5.3.0",
        "bnclaims": evidence,
    }))
    return path


def claim_section(page: str, claim_id: str) -> str:
    found = re.search(rf'<section class="claim" id="claim-{claim_id}">(.*?)</section>', page, re.S)
    assert found, f"no section for claim {claim_id}"
    return found.group(1)


def outcome_of(evidence: dict, claim_id: str) -> dict:
    return next(o for o in evidence["outcomes"] if o["claim"]["id"] == claim_id)


# --- content ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("claim_id", CLAIM_IDS)
def test_each_claim_has_its_section_with_words_numbers_and_a_figure(page, evidence, claim_id):
    outcome = outcome_of(evidence, claim_id)
    claim, summary = outcome["claim"], outcome["summary"]
    section = claim_section(page, claim_id)
    for text in (claim["turkish"], claim["english"], claim["metric"], claim["test"], claim["margin"],
                 outcome["message"]):
        assert str(escape(text)) in section
    assert f"<dt>alpha</dt><dd>{claim['alpha']}</dd>" in section
    assert f'Verdict <span class="badge {outcome["verdict"]}">' in section
    if claim["kind"] == "empirical":
        assert f'<span class="raw-verdict"><span class="badge {outcome["raw_verdict"]}">' in section
        assert f'<span class="family-verdict"><span class="badge {outcome["family_verdict"]}">' in section
        assert f'<span class="adjusted-p">{pvalue(outcome["adjusted_pvalue"])}</span>' in section
    else:
        assert "adjusted-p" not in section and "outside the Holm family" in section
    deciding = outcome["deciding_part"]
    assert (f'<span class="effect">{signed(deciding["difference"])}</span>, 95% CI {interval(deciding["ci"])}'
            in section)
    assert f'n = <span class="n">{outcome["n_seeds"]} {outcome["unit"]}</span>' in section
    assert signed(summary["difference"]) in section
    assert interval(summary["confidence_interval"]) in section
    assert "<svg" in section


@pytest.mark.parametrize("claim_id", sorted(FIGURES))
def test_each_claim_shows_its_backing_figures(page, claim_id):
    section = claim_section(page, claim_id)
    titles = re.findall(r"<figcaption><b>(.*?)\.</b>", section)
    assert titles == FIGURES[claim_id]
    assert section.count("<svg") == len(FIGURES[claim_id])


def summary_of(page: str) -> str:
    return page[page.index('<section id="summary">'):page.index("</section>")]


def test_summary_lists_every_claim_with_verdict_as_expected_holm_p_and_n(page, evidence):
    summary = summary_of(page)
    for outcome in evidence["outcomes"]:
        row = re.search(rf'<tr id="summary-{outcome["claim"]["id"]}">(.*?)</tr>', summary, re.S).group(1)
        assert f'<span class="badge {outcome["verdict"]}">' in row
        mark = "yes" if as_expected(outcome) else "no"
        assert f'<td class="as-expected {mark}">{mark}' in row
        assert f'<span class="note">(expected {outcome["expected"]})</span>' in row
        assert pvalue(outcome["adjusted_pvalue"]) in row
        assert f'<td class="num">{outcome["n_seeds"]} {outcome["unit"]}</td>' in row
    assert "Scale <b>smoke</b>" in page
    assert "expected-fail" not in page
    # The formats themselves, pinned once: D6 (timed: rounds) and A1's untestable row.
    d6 = re.search(r'<tr id="summary-D6">(.*?)</tr>', summary, re.S).group(1)
    assert '<td class="num">9.94e-08</td>' in d6 and '<td class="num">6 rounds</td>' in d6
    a1 = re.search(r'<tr id="summary-A1">(.*?)</tr>', summary, re.S).group(1)
    assert re.sub(r"<[^>]+>", "", a1).count("not learnt: sigmoid-bn1-sgd-bs128 0.126, sigmoid-bn0-sgd-bs128 0.126") == 1


def counts_line(page: str, group: str) -> list[str]:
    line = re.search(rf'<p class="counts" id="counts-{group}">(.*?)</p>', page, re.S).group(1)
    return re.sub(r"<[^>]+>", " ", line).split()


def tally_line(page: str, group: str) -> str:
    text = re.search(rf'<p class="tally" id="tally-{group}">(.*?)</p>', page, re.S).group(1)
    return " ".join(re.sub(r"<[^>]+>", "", text).split())


def test_summary_counts_findings_by_verdict_and_arithmetic_checks_apart(page):
    # The fixture (smoke): 12 findings untestable, B2 inconclusive; arithmetic D5 inconclusive, D6 supported.
    assert counts_line(page, "findings") == ["supported", "0", "refuted", "0", "inconclusive", "1", "untestable", "12"]
    assert counts_line(page, "arithmetic") == ["supported", "1", "refuted", "0", "inconclusive", "1", "untestable", "0"]
    assert tally_line(page, "findings").startswith(
        "As expected: 0 of 13; not as expected (their tests failed): A1, A2,")
    assert tally_line(page, "arithmetic") == "As expected: 1 of 2; not as expected (their tests failed): D5."
    arithmetic = page[page.index(f'<h3 id="summary-arithmetic">{ARITHMETIC_TITLE}</h3>'):page.index("</section>")]
    findings = page[page.index('<h3 id="summary-findings">'):page.index('<h3 id="summary-arithmetic">')]
    for claim_id in CLAIM_IDS:
        inside, outside = (arithmetic, findings) if claim_id in ARITHMETIC else (findings, arithmetic)
        assert f'<tr id="summary-{claim_id}">' in inside and f'<tr id="summary-{claim_id}">' not in outside
    # The sections are grouped the same way, arithmetic checks last under their own title.
    heading = page.index(f'<h2 class="group" id="arithmetic">{ARITHMETIC_TITLE}</h2>')
    assert all((page.index(f'id="claim-{claim_id}"') > heading) == (claim_id in ARITHMETIC) for claim_id in CLAIM_IDS)


def planted(evidence: dict) -> dict:
    """The fixture with real-looking findings planted: A1 refuted as expected, C1 supported, D3
    refuted though expected supported, B2 refuted as expected but by another part (finding changed)."""
    planted = copy.deepcopy(evidence)
    for claim_id, verdict, expected in [("A1", "refuted", "refuted"), ("C1", "supported", "supported"),
                                        ("D3", "refuted", "supported"), ("B2", "refuted", "refuted")]:
        outcome = outcome_of(planted, claim_id)
        outcome.update(verdict=verdict, raw_verdict=verdict, family_verdict=verdict, expected=expected,
                       untestable="")
    outcome_of(planted, "B2")["finding_changed"] = "decided by part 'bn1 vs bn4', pinned to 'bn1 vs bn2'"
    return planted


def test_summary_counts_real_verdicts_and_marks_as_expected_apart(evidence):
    page = render(planted(evidence))
    assert counts_line(page, "findings") == ["supported", "1", "refuted", "3", "inconclusive", "0", "untestable", "9"]
    tally = tally_line(page, "findings")
    assert tally.startswith(
        "As expected: 2 of 13; not as expected (their tests failed): A2, A3, B1, B2, C2, D1, D2, D3,")
    summary = summary_of(page)
    a1 = re.search(r'<tr id="summary-A1">(.*?)</tr>', summary, re.S).group(1)
    assert '<span class="badge refuted">refuted</span>' in a1 and '<td class="as-expected yes">yes' in a1
    b2 = re.search(r'<tr id="summary-B2">(.*?)</tr>', summary, re.S).group(1)
    assert ('<td class="as-expected no">no<br><span class="note">(expected refuted)</span>'
            '<br><span class="note">finding changed</span>') in b2
    assert ('<p class="finding-changed">Finding changed: decided by part &#39;bn1 vs bn4&#39;, pinned to '
            '&#39;bn1 vs bn2&#39;</p>') in claim_section(page, "B2")
    assert ".failed, .finding-changed { color: #a40e26" in page  # in red


LEVEL = 0.99167  # a decision level as the look's share of alpha under Holm gives it
C2_ARMS = ["sigmoid-bn0-adam-bs128", "sigmoid-bn1-sgd-bs128"]


def at_decision_level(evidence: dict) -> dict:
    """The fixture as evidence from issue 21 on reads: a sequential design (decided at look 1 of 4)
    and each deciding t-test part with its arms and its interval at the verdict's level (wider)."""
    decided = copy.deepcopy(evidence)
    for outcome in decided["outcomes"]:
        outcome.update(look=1, looks=4)
        part = outcome["deciding_part"]
        leaf = find_part(outcome["summary"], part["name"]) or {}
        if leaf.get("labels"):
            part["labels"] = leaf["labels"]
        if leaf.get("test") in ("directional", "equivalence"):
            low, high = part["ci"]
            part.update(decision_ci=[low - (high - low), high + (high - low)], decision_level=LEVEL)
    return decided


def summary_row(page: str, claim_id: str) -> str:
    return re.search(rf'<tr id="summary-{claim_id}">(.*?)</tr>', summary_of(page), re.S).group(1)


def test_the_summary_shows_the_interval_at_the_decision_level_and_the_section_keeps_the_95_one(evidence):
    decided = at_decision_level(planted(evidence))
    page = render(decided)
    a1 = outcome_of(decided, "A1")["deciding_part"]
    row = summary_row(page, "A1")
    numbers = f'{signed(a1["difference"])} {interval(a1["decision_ci"])}'
    assert f'{numbers}</span><br><span class="note level">at 99.17%' in row
    assert interval(a1["ci"]) not in row and "95% CI" not in row
    assert '2 seeds<br><span class="note">look 1 of 4</span>' in row
    section = claim_section(page, "A1")
    assert (f'<span class="decision-interval">{interval(a1["decision_ci"])} at 99.17%</span> (the interval at the '
            f'level the verdict used), 95% CI {interval(a1["ci"])}') in section
    # B2's deciding part ("bn1 vs bn4", a conjunction in this older fixture) has none: its 95% CI, labelled.
    b2 = summary_row(page, "B2")
    assert '<span class="note level">(95% CI)</span>' in b2 and "at 99.17%" not in b2
    assert page.count(str(escape(DECISION_LEVEL_NOTE))) == 1  # what the level is, said once


def variants_evidence(evidence: dict) -> dict:
    """A --variant run: the article's setup and lr-tuned, where C2 (Adam without BN as good as SGD
    with BN) is refuted the other way, C1 flips to refuted and B2 is not decided (12 seeds)."""
    article = at_decision_level(planted(evidence))
    c2 = outcome_of(article, "C2")
    c2.update(verdict="refuted", untestable="")
    c2["deciding_part"] = {"name": "mean test accuracy", "difference": 0.0704, "ci": [0.063, 0.077],
                           "decision_ci": [0.057, 0.084], "decision_level": LEVEL, "labels": C2_ARMS}
    tuned = copy.deepcopy(article)
    outcome_of(tuned, "C2")["deciding_part"].update(difference=-0.0312, ci=[-0.039, -0.023],
                                                    decision_ci=[-0.045, -0.017])
    outcome_of(tuned, "C1").update(verdict="refuted")
    outcome_of(tuned, "B2").update(verdict="inconclusive", n_seeds=12, look=4)
    variants = {}
    for name, variant in (("article", article), ("lr-tuned", tuned)):
        settings = copy.deepcopy(variant["settings"])
        settings["scale"]["variant"] = {"name": name, "change": f"the {name} change"}
        variants[name] = {"settings": settings, "outcomes": variant["outcomes"], "runs": variant["runs"]}
    return {**article, "variants": variants}


def test_the_matrix_shows_directions_departures_and_the_error_rate_across_variants(evidence):
    page = render(variants_evidence(evidence))
    rate = re.search(r'<p class="error-rate" id="matrix-error-rate">(.*?)</p>', page, re.S).group(1)
    assert "k = 2 variant columns is bounded only by k x alpha = 2 x 0.05 = 0.1 (Bonferroni)" in rate
    c2 = re.search(r'<tr class="cells" id="matrix-C2">(.*?)</tr>', page, re.S).group(1)
    article, tuned = re.findall(r'<td class="verdict">(.*?)</td>', c2, re.S)
    assert '<span class="direction">bn0-adam &gt; bn1-sgd</span>' in article and "other-way" not in article
    assert '<span class="other-way">the other way</span>' in tuned
    assert '<span class="direction">bn0-adam &lt; bn1-sgd</span>' in tuned
    summaries = dict(re.findall(r'<tr class="robustness" id="robustness-(\w+)">(.*?)</tr>', page, re.S))
    assert "refuted in 2 of 2 variants; refuted the other way: lr-tuned (bn0-adam &lt; bn1-sgd;" in summaries["C2"]
    assert "flips: lr-tuned: refuted" in summaries["C1"]
    assert "not decided: lr-tuned (12 seeds;" in summaries["B2"] and "flips" not in summaries["B2"]


def test_as_expected_needs_the_verdict_and_an_unchanged_finding(evidence):
    outcome = copy.deepcopy(outcome_of(evidence, "A1"))  # untestable, expected supported at smoke
    assert not as_expected(outcome)
    outcome["expected"] = "untestable"
    assert as_expected(outcome)
    outcome["finding_changed"] = "expected L1 not to have learnt; ..."
    assert not as_expected(outcome)


def test_untestable_claim_shows_its_reason_validity_and_arms(page, evidence):
    outcome = outcome_of(evidence, "A1")
    section = claim_section(page, "A1")
    reason = re.search(r'<p class="untestable-reason">(.*?)</p>', section, re.S).group(1)
    assert outcome["untestable"] and str(escape(outcome["untestable"])) in reason
    assert str(escape(outcome["claim"]["validity"])) in reason
    must_learn = re.search(r'<dd class="must-learn">(.*?)</dd>', section, re.S).group(1)
    assert must_learn.startswith(", ".join(outcome["claim"]["must_learn"]) + ": ")
    assert '<span class="badge untestable">untestable</span>' in section
    assert ".badge.untestable {" in page  # its own colour
    assert '<p class="untestable-reason">' not in claim_section(page, "B2")  # B2 is testable


def test_section_gives_rule_deciding_part_and_tightest_margins(page, evidence):
    section = claim_section(page, "A1")
    assert '<b class="rule">Holm over the session&#39;s empirical claims</b>' in section
    assert "Deciding part: <b>mean train loss (log ratio)</b>" in section
    rows = re.findall(r"<tr>(.*?)</tr>", re.search(r'<table class="parts">(.*?)</table>', section, re.S).group(1), re.S)
    loss = next(row for row in rows if "mean train loss (log ratio)" in row)
    tightest = outcome_of(evidence, "A1")["tightest"]["mean train loss (log ratio)"]
    declared = f'&times;{number(0.8)} <span class="note">(log {number(tightest["declared"], 3)})'
    assert f'<td class="num declared-margin">{declared}' in loss
    assert f'<td class="num tightest">&times;{number(tightest["ratio"])} ' in loss
    accuracy = next(row for row in rows if "mean test accuracy" in row)
    assert f'<td class="num declared-margin">{number(0.02)}</td>' in accuracy
    supported = number(outcome_of(evidence, "A1")["tightest"]["mean test accuracy"]["margin"])
    assert f'<td class="num tightest">{supported}</td>' in accuracy


def test_accuracy_effects_show_their_test_set_sampling_error(page, evidence):
    section = claim_section(page, "A1")
    part = dict(outcome_of(evidence, "A1")["summary"]["parts"])["mean test accuracy"]
    bound = accuracy_difference_error(part["mean_a"], part["mean_b"], evidence["settings"]["scale"]["test_size"])
    rows = re.findall(r"<tr>(.*?)</tr>", re.search(r'<table class="parts">(.*?)</table>', section, re.S).group(1), re.S)
    accuracy = next(row for row in rows if "mean test accuracy" in row)
    assert f'<td class="num sampling-error">&plusmn;{number(bound, 2)}</td>' in accuracy
    assert '<td class="num sampling-error">&ndash;</td>' in next(r for r in rows if "mean train loss" in r)
    assert "test-set sampling error at most" not in section  # A1's deciding part is its loss
    # A deciding accuracy part carries it beside its effect too.
    moved = copy.deepcopy(evidence)
    outcome = outcome_of(moved, "A1")
    outcome["deciding_part"] = {"name": "mean test accuracy", "difference": part["difference"],
                                "ci": part["confidence_interval"]}
    deciding = claim_section(render({**moved, "outcomes": [outcome]}), "A1")
    assert f'test-set sampling error at most <span class="sampling-error">&plusmn;{number(bound, 2)}</span>' in deciding


def test_accuracy_difference_error_is_an_upper_bound_for_a_shared_test_set():
    assert accuracy_difference_error(0.9, 0.8, 1000) == pytest.approx(math.sqrt((0.09 + 0.16) / 1000))
    assert accuracy_difference_error(1.0, 0.0, 50) == 0.0
    for bad in [(float("nan"), 0.5, 100), (1.2, 0.5, 100), (0.5, 0.5, 0), (0.5, 0.5, None)]:
        assert math.isnan(accuracy_difference_error(*bad))
    # Two models scored on the same images (correct on the easy ones alike): the spread of the
    # difference over many test sets stays under the bound, well under it when they agree.
    rng = np.random.default_rng(0)
    n, draws = 500, 2000
    easiness = rng.uniform(size=(draws, n))
    correct_a, correct_b = easiness < 0.9, easiness < 0.8
    differences = correct_a.mean(axis=1) - correct_b.mean(axis=1)
    assert differences.std() < 0.7 * accuracy_difference_error(0.9, 0.8, n)
    independent = (rng.uniform(size=(draws, n)) < 0.9).mean(axis=1) - (rng.uniform(size=(draws, n)) < 0.8).mean(axis=1)
    assert independent.std() == pytest.approx(accuracy_difference_error(0.9, 0.8, n), rel=0.1)


def test_per_seed_table_gives_final_accuracy_and_mean_loss_per_config_and_seed(page, evidence):
    section = claim_section(page, "A1")
    for config_label in ("sigmoid-bn1-sgd-bs128", "sigmoid-bn0-sgd-bs128"):
        for run in evidence["runs"][config_label]:
            row = (f"<td>{config_label}</td><td class=\"num\">{run['seed']}</td>\n"
                   f"      <td class=\"num\">{number(mean_train_loss(run))}</td>")
            assert row in section
            assert number(final_test_accuracy(run)) in section


def test_environment_and_training_cost(page, evidence):
    environment = evidence["environment"]
    for text in (environment["dataset_sha256"], environment["git_commit"], environment["date"],
                 *environment["versions"].values()):
        assert text in page
    n_runs = sum(len(runs) for runs in evidence["runs"].values())
    assert f"{n_runs} training runs of {len(evidence['runs'])} configurations" in page


def old_schema(evidence: dict) -> dict:
    """The evidence as a file written before issue 13 reads: none of the new outcome fields."""
    old = copy.deepcopy(evidence)
    for outcome in old["outcomes"]:
        for key in ("raw_verdict", "decisions", "unit", "untestable", "deciding_part", "tightest",
                    "finding_changed", "adjusted_refutation_pvalue"):
            del outcome[key]
        for key in ("kind", "must_learn", "validity"):
            del outcome["claim"][key]
        outcome["verdict"] = outcome["verdict"].replace("untestable", "inconclusive")
    return old


def test_an_older_evidence_file_still_renders_and_compares(evidence):
    old = old_schema(evidence)
    page = render(old, previous=evidence)
    assert ARITHMETIC_TITLE not in page and "Arithmetic checks hold" not in page  # no kinds: all findings
    assert counts_line(page, "findings") == ["supported", "1", "refuted", "0", "inconclusive", "14", "untestable", "0"]
    assert "Deciding part: <b>mean train loss (log ratio)</b>" in claim_section(page, "A1")  # the headline part
    # Decided by different rules: the new file's verdicts at each claim's own alpha are compared.
    comparison = compare(evidence, old)
    assert comparison.own_alpha
    changed = {c.claim_id: (c.before, c.after) for c in comparison.verdict_changes}
    assert changed["A1"] == ("inconclusive", "untestable") and "D6" not in changed


def test_scales_agree_when_only_a_newer_setting_is_missing():
    old = {"name": "smoke", "epochs": 2, "seeds": [0, 1], "overrides": ""}
    assert same_scale(old, {**old, "resample": False, "timed_size": None})
    assert not same_scale(old, {**old, "resample": True})
    assert not same_scale(old, {**old, "epochs": 3})


# --- self-contained --------------------------------------------------------------------------------

def test_page_loads_nothing_from_the_network(page):
    assert not re.search(r"<(script|link|img|iframe|object|embed|video|audio|source)\b", page, re.I)
    assert not re.search(r"@import|url\(\s*['\"]?(https?:)?//", page, re.I)
    # Every reference stays inside the page (#fragment); the SVG xmlns declarations are names, not loads.
    references = re.findall(r"\b(?:src|href)\s*=\s*[\"']([^\"']*)", page, re.I)
    assert references and all(value.startswith("#") for value in references), set(references)
    without_namespaces = re.sub(r'xmlns(:\w+)?="http://www\.w3\.org/[^"]*"', "", page)
    assert "http://" not in without_namespaces and "https://" not in without_namespaces


# --- loading and the command line ------------------------------------------------------------------

def test_load_evidence_reads_plain_and_benchmark_json(tmp_path, evidence, benchmarks, benchmark_json):
    plain = tmp_path / "evidence.json"
    plain.write_text(json.dumps(evidence))
    assert load_evidence(plain) == (evidence, None)
    loaded, loaded_benchmarks = load_evidence(benchmark_json)
    assert loaded == evidence and loaded_benchmarks == benchmarks
    gzipped = tmp_path / "evidence.json.gz"
    gzipped.write_bytes(gzip.compress(plain.read_bytes()))
    assert load_evidence(gzipped) == (evidence, None)


@pytest.mark.parametrize("content", [b"not gzip at all", gzip.compress(b'{"schema": 1}')[:-9]], ids=["not-gzip", "cut-short"])
def test_load_evidence_refuses_a_gzip_record_it_cannot_read(tmp_path, content):
    path = tmp_path / "evidence.json.gz"
    path.write_bytes(content)
    with pytest.raises(EvidenceError, match="cannot read") as error:
        load_evidence(path)
    assert "\n" not in str(error.value) and str(path) in str(error.value)


@pytest.mark.parametrize("content, message", [
    (None, "no such file"),
    ("{not json", "not valid JSON"),
    ("[1, 2]", "not a bn-claims evidence file"),
    ('{"benchmarks": []}', 'no "bnclaims" key'),
    ('{"schema": 99, "outcomes": []}', "schema 99"),
], ids=["missing", "not-json", "not-an-object", "benchmark-without-evidence", "other-schema"])
def test_load_evidence_refuses_what_it_cannot_read(tmp_path, content, message):
    path = tmp_path / "input.json"
    if content is not None:
        path.write_text(content)
    with pytest.raises(EvidenceError, match=re.escape(message)) as error:
        load_evidence(path)
    assert "\n" not in str(error.value) and str(path) in str(error.value)


def run_cli(*args: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "reports", *args], capture_output=True, text=True,
                          env=environment, cwd=ROOT, timeout=120)


def test_cli_builds_the_report_from_a_benchmark_json(tmp_path, benchmark_json):
    out = tmp_path / "out"
    result = run_cli("build", str(benchmark_json), "--out", str(out), "--compare", str(benchmark_json))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"report written to {out / 'index.html'}"
    built = (out / "index.html").read_text(encoding="utf-8")
    assert "Epoch time per batch size" in built  # the benchmark's timings came through
    assert "No verdict changed." in built and "Nothing moved." in built


@pytest.mark.parametrize("content", [None, "{not json"], ids=["missing", "not-json"])
def test_cli_gives_one_line_and_status_2_for_a_bad_file(tmp_path, content):
    path = tmp_path / "evidence.json"
    if content is not None:
        path.write_text(content)
    result = run_cli("build", str(path), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("python -m reports: error: ") and str(path) in result.stderr
    assert not (tmp_path / "out").exists()


def test_verdict_cells_say_what_decided(evidence):
    planted_evidence = planted(evidence)
    assert verdict_cell(outcome_of(planted_evidence, "C1")) == "supported"
    d3 = outcome_of(planted_evidence, "D3")["deciding_part"]
    assert d3["name"] == "batch 4" and interval(d3["ci"]) == "[+0.519, +0.532]"
    assert verdict_cell(outcome_of(planted_evidence, "D3")) == (
        f"**refuted**: batch 4 {signed(d3['difference'])} [+0.519, +0.532] (95% CI)")  # older evidence: labelled
    assert verdict_cell(outcome_of(evidence, "A2")) == "untestable: relu-bn0-sgd-bs128 0.472"
    assert verdict_cell(outcome_of(evidence, "B2")) == "inconclusive"
    # From issue 21 on: the interval at the level the verdict used, with that level.
    d3.update(decision_ci=[0.5101, 0.5409], decision_level=0.99167)
    assert verdict_cell(outcome_of(planted_evidence, "D3")) == (
        f"**refuted**: batch 4 {signed(d3['difference'])} [+0.51, +0.541] at 99.17%")


def test_cli_table_prints_one_row_per_claim_and_one_column_per_evidence(tmp_path, evidence):
    smoke = tmp_path / "smoke.json"
    smoke.write_text(json.dumps(evidence))
    ci = planted(evidence)
    ci["settings"]["scale_label"] = "ci"
    ci["settings"]["scale"]["seeds"] = list(range(6))
    ci["outcomes"] = [o for o in ci["outcomes"] if o["claim"]["id"] != "L1"]  # a claim the ci run lacks
    ci_path = tmp_path / "ci.json"
    ci_path.write_text(json.dumps(ci))
    result = run_cli("table", str(ci_path), str(smoke))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:2] == ["| id | claim (short) | ci (6 seeds) | smoke (2 seeds) |", "| --- | --- | --- | --- |"]
    assert len(lines) == 2 + len(CLAIM_IDS)
    rows = {line.split(" | ")[0].removeprefix("| "): line for line in lines[2:]}
    assert rows["A1"] == ("| A1 | With sigmoid hidden units, adding just one BN layer makes\u2026 | "
                          "**refuted**: mean train loss (log ratio) -0.00136 [-0.0125, +0.00974] (95% CI) | "
                          "untestable: sigmoid-bn1-sgd-bs128 0.126, sigmoid-bn0-sgd-bs128 0.126 |")
    assert rows["C1"].endswith("| supported | untestable: sigmoid-bn1-sgd-bs128 0.126 |")
    assert rows["L1"].endswith("| \u2013 | untestable: sigmoid-bn1-sgd-bs128 0.126, sigmoid-bn0-sgd-bs128 0.126 |")
    assert rows["D6 (arithmetic)"].endswith("| supported | supported |") and "D5 (arithmetic)" in rows
    assert all(len(row.split(" | ")[1]) <= 60 for row in rows.values())
    assert verdict_table([ci, evidence]) == result.stdout
    assert "the level the verdict used" not in result.stdout  # no cell shows one


def test_the_verdict_table_says_once_what_a_decision_level_is(evidence):
    ci = planted(evidence)
    outcome_of(ci, "A1")["deciding_part"].update(decision_ci=[-0.02, 0.017], decision_level=0.9929)
    lines = verdict_table([ci]).splitlines()
    assert "[-0.02, +0.017] at 99.29% |" in next(line for line in lines if line.startswith("| A1 |"))
    assert lines[-2:] == ["", DECISION_LEVEL_NOTE]


def test_cli_table_refuses_a_bad_file_in_one_line(tmp_path):
    result = run_cli("table", str(tmp_path / "missing.json"))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip() == f"python -m reports: error: {tmp_path / 'missing.json'}: no such file"


# --- the nightly comparison ------------------------------------------------------------------------

def test_welch_pvalue_agrees_with_scipy_and_handles_no_spread():
    rng = np.random.default_rng(0)
    for n_before, n_after in [(2, 2), (3, 6), (6, 6)]:
        before, after = rng.normal(0, 1, n_before), rng.normal(0.5, 2, n_after)
        expected = stats.ttest_ind(before, after, equal_var=False).pvalue
        assert welch_pvalue(before, after) == pytest.approx(expected, rel=1e-9)
    assert welch_pvalue(np.array([0.1, 0.1]), np.array([0.1, 0.1])) == 1.0
    assert welch_pvalue(np.array([0.1, 0.1]), np.array([0.2, 0.2])) == 0.0


def test_an_unchanged_run_changes_nothing(evidence, benchmarks):
    comparison = compare(evidence, copy.deepcopy(evidence), benchmarks=benchmarks,
                         previous_benchmarks=copy.deepcopy(benchmarks))
    assert comparison.verdict_changes == [] and comparison.moved == []
    assert comparison.same_scale and comparison.shifts  # numbers were compared, none moved


def modified_previous(evidence: dict, benchmarks: list[dict]) -> tuple[dict, list[dict]]:
    """A "last night" that differs from the fixture in one verdict, one config's losses, one timing."""
    previous, previous_benchmarks = copy.deepcopy(evidence), copy.deepcopy(benchmarks)
    outcome_of(previous, "A3")["verdict"] = "refuted"  # untestable in the fixture
    for run in previous["runs"]["sigmoid-bn0-sgd-bs128"]:
        run["train_loss"] = [loss + 5.0 for loss in run["train_loss"]]
    d6 = next(b for b in previous_benchmarks if b["name"].startswith("test_d6_"))
    d6["extra_info"]["epoch_seconds"]["bn1"]["4"] = [3 * s for s in d6["extra_info"]["epoch_seconds"]["bn1"]["4"]]
    previous["environment"]["date"] = "2026-11-24T03:00:00+00:00"
    return previous, previous_benchmarks


def test_comparison_lists_the_changed_verdict_and_the_moved_numbers_only(evidence, benchmarks):
    previous, previous_benchmarks = modified_previous(evidence, benchmarks)
    comparison = compare(evidence, previous, benchmarks=benchmarks, previous_benchmarks=previous_benchmarks)
    assert [(c.claim_id, c.before, c.after) for c in comparison.verdict_changes] == [("A3", "refuted", "untestable")]
    assert not comparison.own_alpha
    moved = {(shift.subject, shift.metric): shift for shift in comparison.moved}
    assert set(moved) == {("sigmoid-bn0-sgd-bs128", "mean training loss"), ("bn1 batch 4", "epoch seconds")}
    loss = moved["sigmoid-bn0-sgd-bs128", "mean training loss"]
    assert loss.difference == pytest.approx(-5.0, abs=1e-9)
    assert loss.claims == ("A1", "A3", "L1")  # every claim that config backs
    assert loss.pvalue < comparison.alpha
    assert moved["bn1 batch 4", "epoch seconds"].claims == ("D6",)


def test_changes_section_renders_the_comparison(tmp_path, evidence, benchmarks):
    previous, previous_benchmarks = modified_previous(evidence, benchmarks)
    # Two claims are enough for the page: the changed one and one that did not change.
    current = {**evidence, "outcomes": [outcome_of(evidence, "A3"), outcome_of(evidence, "C1")]}
    page = render(current, benchmarks=benchmarks, previous=previous, previous_benchmarks=previous_benchmarks)
    changes = page[page.index('<section id="changes"'):]
    changes = changes[:changes.index("</section>")]
    assert "Changes since 2026-11-24T03:00:00+00:00" in changes
    verdicts = re.search(r'<ul id="verdict-changes">(.*?)</ul>', changes, re.S).group(1)
    assert 'href="#claim-A3"' in verdicts and "C1" not in verdicts
    moved = re.search(r'<table id="moved">(.*?)</table>', changes, re.S).group(1)
    assert "<td>sigmoid-bn0-sgd-bs128</td><td>mean training loss</td>" in moved
    assert "sigmoid-bn1-adam-bs128" not in moved  # C1's configurations did not move


# --- in a real browser -----------------------------------------------------------------------------

def chromium(url: str, out: Path) -> tuple[Path, Path]:
    """Screenshot ``url`` headless, with a net log; return (screenshot, net log) paths.

    All traffic goes to a dead local proxy, so nothing leaves the machine even if something asks:
    the net log still records every request that was attempted.
    """
    executable = shutil.which("chromium")
    if executable is None:
        missing("chromium is not installed (Debian package chromium; .ci/run installs it)")
    shot, net_log = out / "shot.png", out / "net-log.json"
    subprocess.run([
        executable, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-extensions", "--no-first-run",
        "--no-pings", "--proxy-server=127.0.0.1:9", f"--user-data-dir={out / 'profile'}",
        f"--log-net-log={net_log}", f"--screenshot={shot}", "--window-size=1280,2000", url,
    ], capture_output=True, timeout=BROWSER_TIMEOUT_S, check=False)
    return shot, net_log


def page_requests(net_log: Path) -> list[str]:
    """The http(s) URLs the page itself asked for (Chromium's own update pings are not the page's:
    the page's requests carry the file:// page in their network isolation key)."""
    log = json.loads(net_log.read_text())
    start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    return [
        event["params"]["url"]
        for event in log["events"]
        if event["type"] == start_job
        and event.get("params", {}).get("url", "").startswith(("http://", "https://"))
        and "file://" in event["params"].get("network_isolation_key", "")
    ]


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", header[16:24])


def test_chromium_renders_the_page_without_network_requests(tmp_path, report):
    shot, net_log = chromium(report.as_uri(), tmp_path)
    assert shot.exists() and png_size(shot) == (1280, 2000)
    assert shot.stat().st_size > 50_000  # tables, badges and a figure, not a blank page
    assert page_requests(net_log) == []


# Added to a copy of the page only (the report itself has no script): each table's overflow.
WIDTH_PROBE = ("<script>document.title = JSON.stringify([...document.querySelectorAll('.table-wrap')].map("
               "w => [w.firstElementChild.className, w.scrollWidth, w.clientWidth]));</script></body>")


def table_widths(page: str, out: Path, width: int) -> dict[str, list[tuple[int, int]]]:
    """Each table's (scroll width, visible width) in px, by class, as Chromium lays the page out in
    a window ``width`` px wide: a table wider than its box is cut off at the page's edge."""
    executable = shutil.which("chromium")
    if executable is None:
        missing("chromium is not installed (Debian package chromium; .ci/run installs it)")
    probed = out / "probed.html"
    probed.write_text(page.replace("</body>", WIDTH_PROBE), encoding="utf-8")
    result = subprocess.run([
        executable, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--proxy-server=127.0.0.1:9",
        f"--user-data-dir={out / 'profile'}", f"--window-size={width},1000", "--dump-dom", probed.as_uri(),
    ], capture_output=True, text=True, timeout=BROWSER_TIMEOUT_S, check=False)
    widths = {}
    for name, scroll, visible in json.loads(re.search(r"<title>(.*?)</title>", result.stdout, re.S).group(1)):
        widths.setdefault(name, []).append((scroll, visible))
    return widths


def test_the_summary_table_and_the_matrix_fit_a_1400_px_window(tmp_path, evidence):
    """At 1,400 px the summary's last column (seeds and deciding look) was cut off (issue 21)."""
    widths = table_widths(render(variants_evidence(evidence)), tmp_path, 1400)
    assert len(widths["summary-table"]) == 2 and len(widths["matrix"]) == 1
    for name in ("summary-table", "matrix"):
        assert all(scroll <= visible for scroll, visible in widths[name]), widths[name]


def test_the_network_check_sees_a_page_that_does_fetch(tmp_path):
    """The check above can fail: a page with an external image is caught."""
    fetching = tmp_path / "fetching.html"
    fetching.write_text('<!DOCTYPE html><p>x</p><img src="http://example.invalid/x.png">')
    _, net_log = chromium(fetching.as_uri(), tmp_path)
    assert "http://example.invalid/x.png" in page_requests(net_log)


def test_diverged_runs_and_degenerate_statistics_render_without_warnings(evidence):
    """At the end of ``pytest claims/`` warnings are errors (filterwarnings = error): the report must
    draw NaN curves and all-zero intervals quietly, and say which run diverged."""
    degenerate = copy.deepcopy(evidence)
    outcome = outcome_of(degenerate, "D3")
    part = outcome["summary"]["parts"][1][1]  # "batch 64": difference and CI exactly 0
    part["margin"] = 0.0
    for run in degenerate["runs"]["sigmoid-bn1-sgd-bs4"]:
        run["train_loss"][-1] = run["test_accuracy"][-1] = float("nan")
        run["diverged_epoch"] = len(run["train_loss"])
    page = render({**degenerate, "outcomes": [outcome]})
    section = claim_section(page, "D3")
    assert "Diverged (dropped from the mean from then on): sigmoid-bn1-sgd-bs4 seed 0 at epoch 2" in section
    seeds_table = re.search(r'<table class="seeds">(.*?)</table>', section, re.S).group(1)
    assert "nan" not in seeds_table.lower()  # a NaN reads as a dash


def test_nightly_compares_with_the_newest_earlier_night(tmp_path):
    from reports.nightly import previous_night

    for name in ("2026-11-20.json", "2026-11-24.json", "2026-11-26.json", "notes.txt"):
        (tmp_path / name).write_text("{}")
    assert previous_night(tmp_path, tmp_path / "2026-11-26.json") == tmp_path / "2026-11-24.json"
    assert previous_night(tmp_path, tmp_path / "2026-11-20.json") is None


def test_per_seed_values_of_a_diverged_run_are_the_claims_worst_values(evidence):
    from fixtures.claims import metrics as suite_metrics
    from fixtures.training.results import RunResult

    run = copy.deepcopy(evidence["runs"]["sigmoid-bn1-sgd-bs4"][0])
    run["train_loss"][-1] = run["test_accuracy"][-1] = float("nan")
    run["diverged_epoch"] = len(run["train_loss"])
    assert mean_train_loss(run) == suite_metrics.mean_train_loss(RunResult.from_dict(run))
    assert np.isfinite(mean_train_loss(run)) and final_test_accuracy(run) <= 0.1


def test_a_supported_claims_binding_part_is_named_in_its_row_and_section(evidence):
    """A supported claim shown by its headline part names the part with the larger p, whose p
    the row shows; evidence without it (before 2026-12-07) renders as before."""
    planted_evidence = copy.deepcopy(evidence)
    c1 = outcome_of(planted_evidence, "C1")
    c1.update(verdict="supported", raw_verdict="supported", family_verdict="supported", untestable="")
    c1["deciding_part"]["bound_by"] = {"name": "final test accuracy", "pvalue": 0.000258}
    page = render(planted_evidence)
    row = re.search(r'<tr id="summary-C1">(.*?)</tr>', summary_of(page), re.S).group(1)
    assert '<span class="note bound-by">bound by final test accuracy (p = ' in row
    assert '<b class="bound-by">final test accuracy</b>' in claim_section(page, "C1")
    assert "bound-by" not in re.search(r'<tr id="summary-A1">(.*?)</tr>', summary_of(page), re.S).group(1)


def test_evidence_from_before_it_names_the_binding_part_from_its_summary(evidence):
    """Evidence written before 2026-12-07 has no ``bound_by``: the report finds it from the
    summary, the part with the largest p, and names none where that is the part shown."""
    from reports.build import bound_by, with_defaults
    outcome = copy.deepcopy(outcome_of(evidence, "A1"))
    outcome.update(verdict="supported")
    outcome["deciding_part"].pop("bound_by", None)
    (first, head), (second, tail) = outcome["summary"]["parts"][:2]
    head["pvalue"], tail["pvalue"] = 0.001, 0.004
    assert bound_by(with_defaults(outcome)) == {"name": second, "pvalue": 0.004}
    head["pvalue"], tail["pvalue"] = 0.004, 0.001
    assert bound_by(with_defaults(outcome)) is None
    outcome.update(verdict="refuted")
    assert bound_by(with_defaults(outcome)) is None
