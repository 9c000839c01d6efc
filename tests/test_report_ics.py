"""The ICS family's section of the HTML report (``reports/ics.py``, ``reports/build.py``).

Built from planted evidence: two of the article's claims from the smoke fixture (``tests/data``)
and four ICS claims over recorded runs written here (on Ioffe & Szegedy's net, and one, IS2a, on
the article's own net), two seeds per configuration, four probes each, with
values chosen so the answers are known: which unit is typical, which seeds are stable at which
rate. Nothing trains; the pages are rendered with a fixed SVG hash salt, so two renders of the
same claims compare byte for byte.
"""

from __future__ import annotations

import copy
import json
import math
import re
import xml.etree.ElementTree as ElementTree
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from markupsafe import escape
from matplotlib import rc_context

from fixtures.claims.mechanism import stable, trains
from fixtures.training.models import ModelConfig
from reports import ics
from reports.build import family_runs, render, verdict_table

DATA = Path(__file__).parent / "data"
# A finding and an arithmetic check whose nets are not the ICS family's article-net arms (the
# evidence keys runs by label, and the article's own net has the same label in both families).
ARTICLE_IDS = ["A2", "D5"]

# The family's nets, as claims/test_ics.py declares them (two rates of its grid besides 0.01).
PLAIN = ModelConfig("sigmoid", 0, "sgd", 60, hidden_units=(100, 100, 100))
BN = replace(PLAIN, bn_layers=3, bn_position="before")
NOISY = replace(BN, noise_shift=1.0, noise_scale=2.0)
RATES = (0.01, 0.1, 1.0)
ARTICLE_PLAIN, ARTICLE_BN = ModelConfig("sigmoid", 0, "sgd", 128), ModelConfig("sigmoid", 4, "sgd", 128)
IS_NET, ARTICLE_NET = "sigmoid 100-100-100, batch 60", "sigmoid 512-256-128-64, batch 128"
STEPS = [0, 500, 1000, 1500]  # the drift window is the last two (from step 1,000)
SCALE = {"name": "planted", "steps": 1500, "probe_every": 500, "seeds": [0, 1], "looks": [],
         "train_size": 600, "test_size": 100, "epochs": 1, "overrides": ""}

# Per net and seed: each unit's percentile change inside the drift window (step 1,000 to 1,500),
# and before it (steps 0 to 1,000), which the rule must ignore. No BN, seed 0: ascending drifts
# 1 (unit 1), 2 (unit 3), 3 (unit 4), 4, 5, so the median is unit 4; counted from step 0 instead
# (unit 3 moved 10 before the window) it would be unit 2; seed 1 alone would give unit 2.
# BN: four units numbered 10-40; the lower median (2nd of 4, drift 0.2) is unit 40, the upper 30.
UNITS = {"no BN": [0, 1, 2, 3, 4], "BN": [10, 20, 30, 40], "noisy BN": [10, 20, 30, 40]}
DRIFT = {("no BN", 0): [5, 1, 4, 2, 3], ("no BN", 1): [1, 2, 3, 4, 5],
         ("BN", 0): [0.4, 0.1, 0.3, 0.2], ("BN", 1): [0.1, 0.2, 0.3, 0.4],
         ("noisy BN", 0): [0.5, 0.5, 0.5, 0.5], ("noisy BN", 1): [0.5, 0.5, 0.5, 0.5]}
BEFORE = {"no BN": [0, 0, 0, 10, 0], "BN": [3, 3, 0, 0], "noisy BN": [0, 0, 0, 0]}
TYPICAL = {"no BN": 4, "BN": 40}
ACCURACY = {"no BN": [0.1, 0.5, 0.7, 0.8], "BN": [0.1, 0.9, 0.95, 0.97], "noisy BN": [0.1, 0.85, 0.93, 0.96]}

# Stability per (net, rate): the seeds' outcomes. "ok" learns and ends below the first loss (2.5,
# above chance as Keras's init starts) and below chance (ln 10); "stuck" ends between the two
# (LR1's stable, not LR1t's trains); "worse" ends above the first loss without diverging; "nan"
# diverged in the second probe interval (its probes end there).
STABILITY = {("no BN", 0.01): ("ok", "ok"), ("no BN", 0.1): ("ok", "nan"), ("no BN", 1.0): ("stuck", "worse"),
             ("BN", 0.01): ("ok", "ok"), ("BN", 0.1): ("ok", "ok"), ("BN", 1.0): ("ok", "worse")}
STABLE = {"no BN": {0.01: (2, 2), 0.1: (1, 2), 1.0: (1, 2)}, "BN": {0.01: (2, 2), 0.1: (2, 2), 1.0: (1, 2)}}
TRAINS = {"no BN": {0.01: (2, 2), 0.1: (1, 2), 1.0: (0, 2)}, "BN": {0.01: (2, 2), 0.1: (2, 2), 1.0: (1, 2)}}
LARGEST_STABLE = {"no BN": {0: 1.0, 1: 0.01}, "BN": {0: 1.0, 1: 0.1}}
LARGEST_TRAINING = {"no BN": {0: 0.1, 1: 0.01}, "BN": {0: 1.0, 1: 0.1}}
FIRST_LOSS = 2.5

PER_NET = [
    "Test accuracy over training (Ioffe & Szegedy, Figure 1(a), redrawn)",
    "A typical unit's input distribution (Ioffe & Szegedy, Figure 1(b, c), redrawn)",
    "Percentile drift of the whole layer, over training",
    "Internal covariate shift as gradient change (Santurkar et al., Figure 3, redrawn)",
    "Smoothness of the loss landscape (Santurkar et al., Figure 4, redrawn)",
]
# Each network's figures, titled with it; the rate grid only on the net LR1 reads.
FIGURE_TITLES = ([f"{title}, {IS_NET}" for title in PER_NET] + [f"Largest stable learning rate (LR1, LR1t), {IS_NET}"]
                 + [f"{title}, {ARTICLE_NET}" for title in PER_NET])


def at_rate(config: ModelConfig, rate: float) -> ModelConfig:
    return config if rate == 0.01 else replace(config, learning_rate=rate)


def percentiles(arm: str, seed: int, n_probes: int) -> dict:
    """values[probe][level][unit]: a level's base plus the unit's planted movement by that probe."""
    before, drift = np.asarray(BEFORE[arm], float), np.asarray(DRIFT[arm, seed], float)
    moved = [np.zeros_like(before), before, before, before + drift][:n_probes]
    values = [[(level - 50) / 10 + shift for level in (15, 50, 85)] for shift in moved]
    return {"levels": [15, 50, 85], "units": UNITS[arm], "values": np.asarray(values).tolist()}


def probes(arm: str, seed: int, *, n_probes: int = len(STEPS)) -> dict:
    """A recorded run's probe record, cut after ``n_probes`` probes as a divergence cuts it."""
    seeded = 1 + 0.1 * seed  # the seeds differ a little, so the bands have a width
    relative = {"no BN": 0.01, "BN": 0.05, "noisy BN": 0.08}[arm] * seeded
    return {
        "probe_steps": STEPS[:n_probes], "steps": STEPS[-1], "batch_size": 60, "first_loss": FIRST_LOSS,
        "diverged_at": None if n_probes == len(STEPS) else STEPS[n_probes],
        "test_loss": [2.3, 1.0, 0.5, 0.3][:n_probes],
        "test_accuracy": [a * (1 - 0.01 * seed) for a in ACCURACY[arm]][:n_probes],
        "percentiles": percentiles(arm, seed, n_probes),
        "ics": {"layers": [1, 2, 3], "l2": [[relative] * 3] * n_probes, "norm": [[1.0] * 3] * n_probes,
                "cosine": [[0.99, None, 0.98]] * n_probes},
        "smoothness": {"etas": [0.01, 0.1], "loss": [[1.0, 0.9]] * n_probes,
                       "grad_change": [[0.1, 0.5]] * n_probes, "loss_range": [0.2 * seeded] * n_probes,
                       "max_grad_change": [0.5] * n_probes, "beta": [None] + [3.0 * seeded] * (n_probes - 1),
                       "loss_start": [1.0] * n_probes, "grad_norm": [1.0] * n_probes},
    }


def recorded_run(config: ModelConfig, seed: int, stability: str = "ok") -> dict:
    """A recorded run as the evidence stores it (``RunResult.to_dict``), one "epoch" per probe interval."""
    arm = ics.arm_of(config)
    intervals = len(STEPS) - 1
    n_probes = 2 if stability == "nan" else len(STEPS)
    train_loss = {"ok": [2.0, 1.0, 0.5], "stuck": [2.36, 2.36, 2.36], "worse": [2.0, 2.4, 2.6],
                  "nan": [2.0, math.nan, math.nan]}[stability]
    record = probes(arm, seed, n_probes=n_probes)
    if stability != "ok":  # at chance throughout: it has not learnt
        record["test_accuracy"] = [0.1] * n_probes
    accuracy = record["test_accuracy"][1:] + [math.nan] * (len(STEPS) - n_probes)
    return {
        "config": config.to_dict(), "seed": seed, "trainer": "ics-record-1",
        "budget": {"steps": 1500, "probe_every": 500, "recorder": "ics-record-1"},
        "train_loss": train_loss, "train_accuracy": [math.nan] * intervals,
        "test_loss": [0.5] * intervals, "test_accuracy": accuracy, "epoch_seconds": [0.1] * intervals,
        "diverged_epoch": 2 if stability == "nan" else None, "extras": {"probes": record},
    }


def ics_runs() -> dict[str, list[dict]]:
    runs = {config.label: [recorded_run(config, seed) for seed in (1, 0)] for config in (NOISY, ARTICLE_PLAIN, ARTICLE_BN)}
    for (arm, rate), outcomes in STABILITY.items():
        config = at_rate(BN if arm == "BN" else PLAIN, rate)
        # Seed 1 listed first: "the first seed" must mean the lowest seed number, not the list's first.
        runs[config.label] = [recorded_run(config, seed, outcomes[seed]) for seed in (1, 0)]
    return runs


def ics_outcome(article_outcome: dict, claim_id: str, configs: list[ModelConfig]) -> dict:
    """An ICS outcome: an article outcome's statistics under the family's claim and nets."""
    outcome = copy.deepcopy(article_outcome)
    outcome["claim"].update(id=claim_id, family="ics", turkish="", must_learn=[],
                            english=f"Planted paper claim {claim_id}, in our words.",
                            experiment=f"Planted paper, Figure for {claim_id}")
    outcome["configs"] = [config.to_dict() for config in configs]
    return outcome


@pytest.fixture(scope="module")
def article() -> dict:
    """The fixture's evidence cut to two claims (a finding and an arithmetic check)."""
    evidence = json.loads((DATA / "evidence.json").read_text())
    evidence["outcomes"] = [o for o in evidence["outcomes"] if o["claim"]["id"] in ARTICLE_IDS]
    return evidence


@pytest.fixture(scope="module")
def merged(article) -> dict:
    """The article's two claims with the ICS family beside them, as ``merge_families`` writes it."""
    evidence = copy.deepcopy(article)
    a1 = copy.deepcopy(json.loads((DATA / "evidence.json").read_text())["outcomes"][0])  # A1's statistics
    grid = [at_rate(config, rate) for config in (BN, PLAIN) for rate in RATES]
    evidence["outcomes"] += [ics_outcome(a1, "IS1", [BN, PLAIN]), ics_outcome(a1, "ST1", [NOISY, BN, PLAIN]),
                             ics_outcome(a1, "LR1", grid), ics_outcome(a1, "IS2a", [ARTICLE_BN, ARTICLE_PLAIN])]
    evidence["family_runs"] = {"ics": ics_runs()}
    evidence["settings"]["families"] = {"ics": {"scale": SCALE, "scale_label": "planted"}}
    return evidence


def page_of(evidence: dict) -> str:
    with rc_context({"svg.hashsalt": "test_report_ics"}):  # SVG ids fixed, so pages compare byte for byte
        return render(evidence)


@pytest.fixture(scope="module")
def article_page(article) -> str:
    return page_of(article)


@pytest.fixture(scope="module")
def page(merged) -> str:
    return page_of(merged)


def family_section(page: str) -> str:
    """The ICS section: from its start to the environment's section, which follows it."""
    start = '<section class="family" id="family-ics">'
    assert start in page, "no ICS family section"
    return page[page.index(start):page.index('<section id="environment">')]


def article_part(page: str) -> str:
    """From the article's summary to the end of its claims: what the family must leave alone."""
    start = page.index('<section id="summary">')
    end = page.index('<section class="family"') if '<section class="family"' in page else page.index(
        '<section id="environment">')
    return page[start:end]


def runs_of(evidence: dict, config: ModelConfig) -> list[dict]:
    return evidence["family_runs"]["ics"][config.label]


def test_a_label_both_families_use_keeps_each_familys_runs(merged):
    """The ICS family's recorded runs of the article's net carry the article's labels
    (sigmoid-bn0-sgd-bs128): each family's claims must read their own runs."""
    label = ARTICLE_PLAIN.label
    article_runs = json.loads((DATA / "evidence.json").read_text())["runs"][label]
    assert label in merged["runs"] and label in merged["family_runs"]["ics"]
    assert family_runs(merged, "article")[label] == article_runs
    assert family_runs(merged, "ics")[label] is merged["family_runs"]["ics"][label] != article_runs


# --- the section -----------------------------------------------------------------------------------

def test_the_family_has_its_own_section_headed_by_its_scale(page):
    section = family_section(page)
    assert str(escape("Internal covariate shift: the papers' claims")) in section
    scale = re.search(r'<p class="lede family-scale">(.*?)</p>', section, re.S).group(1)
    assert 'Scale <b>planted</b>' in scale
    assert '<span class="steps">1500</span> training steps' in scale
    assert 'probed every <span class="probe-every">500</span> steps' in scale
    assert '<span class="seeds">0, 1</span>' in scale
    assert "100 test images" in scale
    assert page.index('id="family-ics"') > page.index('id="claim-D5"')  # after the article's claims


def test_ics_outcomes_are_kept_out_of_the_article_summary_and_tallies(page):
    summary = page[page.index('<section id="summary">'):page.index("</section>", page.index('<section id="summary">'))]
    assert re.findall(r'<tr id="summary-(\w+)">', summary) == ARTICLE_IDS
    for group in ("findings", "arithmetic"):  # A2 and D5, one each: the ICS claims are not counted here
        assert re.search(rf'<p class="tally" id="tally-{group}">\s*As expected: <b>\d of 1</b>', summary)
        counts = re.search(rf'<p class="counts" id="counts-{group}">(.*?)</p>', summary, re.S).group(1)
        assert sum(map(int, re.findall(r"</span> (\d+)</span>", counts))) == 1
    assert not re.search(r"IS1|ST1|LR1", summary)
    section = family_section(page)
    assert re.findall(r'<tr id="summary-(\w+)">', section) == ["IS1", "IS2a", "LR1", "ST1"]
    assert re.findall(r'<section class="claim" id="claim-(\w+)">', section) == ["IS1", "IS2a", "LR1", "ST1"]
    tally = re.search(r'<p class="tally" id="tally-ics">(.*?)</p>', section, re.S).group(1)
    assert "of 4</b>" in tally
    # Each card once on the page: not also among the article's findings.
    assert page.count('<section class="claim" id="claim-IS1">') == 1


def test_the_article_part_is_the_same_with_or_without_the_family(page, article_page):
    assert article_part(page) == article_part(article_page)
    for markup in ('class="family"', "family-ics", "paper-claim", "probe interval", 'id="ics"'):
        assert markup not in article_page


def test_each_family_figure_is_an_svg_with_a_caption_naming_what_it_redraws(page):
    section = family_section(page)
    figures = re.findall(r"<figure>\s*<figcaption><b>(.*?)\.</b>(.*?)</figcaption>\s*(<svg.*?</svg>)\s*</figure>",
                         section, re.S)
    titles = [str(escape(title)) for title in FIGURE_TITLES]
    family_figures = [f for f in figures if f[0] in titles]
    assert [title for title, _, _ in family_figures] == titles
    for title, caption, svg in family_figures:
        root = ElementTree.fromstring(svg)
        assert root.tag == "{http://www.w3.org/2000/svg}svg", title
        assert caption.strip(), title


def test_ics_cards_show_the_papers_claim_and_no_epoch_curves(page, merged):
    section = family_section(page)
    card = re.search(r'<section class="claim" id="claim-IS1">(.*?)</section>', section, re.S).group(1)
    assert "<b>The paper's claim (our words):</b> Planted paper claim IS1, in our words." in card
    assert 'lang="tr"' not in card and "our reading" not in card
    assert "Training curves" not in card  # probe intervals are not epochs: the section's figures replace them
    assert "diverged at probe interval" in card and "Holm over this family&#39;s claims" in card
    assert BN.label in card and PLAIN.label in card  # the recorded runs found by their full labels


def test_evidence_with_only_the_family_has_no_article_summary(merged):
    only = copy.deepcopy(merged)
    only["outcomes"] = [o for o in only["outcomes"] if ics.family_of(o) == "ics"]
    page = page_of(only)
    assert '<section id="summary">' not in page
    assert re.findall(r'<tr id="summary-(\w+)">', family_section(page)) == ["IS1", "IS2a", "LR1", "ST1"]


# --- the rules behind the figures ------------------------------------------------------------------

@pytest.mark.parametrize("arm, config", [("no BN", PLAIN), ("BN", BN)])
def test_the_typical_unit_is_the_lower_median_drift_in_the_window_on_the_first_seed(merged, arm, config):
    first = ics.first_seed(runs_of(merged, config))
    assert first["seed"] == 0
    assert ics.typical_unit(first["extras"]["probes"]) == TYPICAL[arm]


def test_the_caption_names_the_typical_units(page):
    section = family_section(page)
    assert f"no BN: unit {TYPICAL['no BN']}; BN: unit {TYPICAL['BN']}" in section
    assert "no BN: unit 4, seed 0" in section and "BN: unit 40, seed 0" in section  # the panels' titles


def test_the_drift_over_steps_ends_at_the_window_drift_and_is_blank_before_it(merged):
    record = ics.first_seed(runs_of(merged, PLAIN))["extras"]["probes"]
    drift = ics.drift_over_steps(record)
    assert np.isnan(drift[:2]).all()  # steps 0 and 500: before the window
    np.testing.assert_allclose(drift[2:], [0.0, np.mean(DRIFT["no BN", 0])], atol=1e-12)


@pytest.mark.parametrize("arm, config", [("no BN", PLAIN), ("BN", BN)])
def test_shares_and_largest_rates_by_each_rule_are_the_planted_ones(merged, arm, config):
    by_rate = {rate: runs_of(merged, at_rate(config, rate)) for rate in RATES}
    assert ics.shares_passing(by_rate, stable) == STABLE[arm]
    assert ics.shares_passing(by_rate, trains) == TRAINS[arm]
    assert ics.largest_passing(by_rate, stable) == LARGEST_STABLE[arm]
    assert ics.largest_passing(by_rate, trains) == LARGEST_TRAINING[arm]


def test_networks_arms_and_rates_are_told_apart_by_configuration(merged):
    outcomes = [o for o in merged["outcomes"] if ics.family_of(o) == "ics"]
    nets = ics.nets(ics.recorded_runs(outcomes, merged["family_runs"]["ics"]))
    assert list(nets) == [IS_NET, ARTICLE_NET]
    expected = {IS_NET: {"no BN": PLAIN, "BN": BN, "noisy BN": NOISY},
                ARTICLE_NET: {"no BN": ARTICLE_PLAIN, "BN": ARTICLE_BN}}
    for net, arms in expected.items():
        found = ics.main_arms(nets[net])
        assert list(found) == list(arms)
        for arm, config in arms.items():  # each arm's runs are its own net's, not the other net's
            assert found[arm] == runs_of(merged, config)
    grid = ics.rate_grid(nets[IS_NET])
    assert {arm: list(by_rate) for arm, by_rate in grid.items()} == {"no BN": list(RATES), "BN": list(RATES)}
    assert ics.rate_grid(nets[ARTICLE_NET]) == {}


def test_a_diverged_run_leaves_gaps_after_its_last_probe(merged):
    runs = runs_of(merged, at_rate(PLAIN, 0.1))  # seed 1 first (diverged after 2 probes), then seed 0
    steps, values = ics.series(runs, lambda record: np.asarray(record["test_accuracy"]))
    assert steps.tolist() == STEPS
    assert np.isfinite(values[0, :2]).all() and np.isnan(values[0, 2:]).all()
    assert np.isfinite(values[1]).all()


def test_the_rate_figure_counts_each_rules_largest_rates_per_seed(page):
    section = family_section(page)
    assert "By stable (LR1): no BN 1 (1 seed), 0.01 (1 seed); BN 1 (1 seed), 0.1 (1 seed)." in section
    assert "By trains (LR1t): no BN 0.1 (1 seed), 0.01 (1 seed); BN 1 (1 seed), 0.1 (1 seed)." in section


def test_the_readme_table_takes_one_family_at_a_time(merged):
    article_rows, ics_rows = verdict_table([merged]), verdict_table([merged], "ics")
    assert "| A2 |" in article_rows and "| IS1 |" not in article_rows
    assert "| IS1 |" in ics_rows and "| A2 |" not in ics_rows
    assert ics_rows.splitlines()[0].startswith("| id | claim (short) | planted (")  # the family's own scale
