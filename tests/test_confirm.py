"""Drift flags confirmed on fresh seeds (``reports/confirm.py``, ``environments --confirm-seeds``).

What must hold, and what each part would catch:
- the plan: only the claims that read a flagged configuration run again, on the ``fresh`` seeds
  after the largest one the night compared; the night's own -k/-m/--seeds give way to the plan's;
- the second test: a shift that holds on the fresh seeds is confirmed; one that does not, or
  turns sign, is not; a flag without fresh seeds on both sides stands;
- calibration: with nothing changed, a flag is confirmed in at most alpha of 2,000 draws of
  fresh seeds (so a table fails a night in about alpha x alpha/2, against alpha without the
  confirmation); a 2-SD shift is flagged and confirmed in most draws;
- the night (fake tox): a confirmed flag exits 1, one that does not hold exits 0, both shown in
  the report; ``--confirm-seeds 0`` lets every flag fail the night; 1 is a usage error.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from reports.confirm import ConfirmationPlan, confirm_flags, confirmation_plan, without_selection
from reports.drift import drift_table
from reports.environments import main
from tests.stats.simulate import rng_for
from tests.test_drift import ALPHA, evidence, fake_run, simulated_runs

DATA = Path(__file__).parent / "data"
FAKE_TOX = f"{sys.executable} {DATA / 'fake_tox.py'}"
CONFIGS = {"a": {"activation": "sigmoid", "bn_layers": 0}, "b": {"activation": "sigmoid", "bn_layers": 1}}
READS = {"X": ["a"], "Y": ["b"], "Z": ["a", "b"]}


def night(seeds, shift: float = 0.0, change: dict | None = None) -> tuple[dict, dict]:
    """(environment, baseline) evidence: configurations a and b on ``seeds``, claims X (reads a),
    Y (b), Z (both); the environment's accuracy of a shifted by ``shift``, with small seed noise;
    ``change`` added to every run's config, as a variant's runs carry it."""
    rng = np.random.default_rng(7)
    sides = []
    for moved in (shift, 0.0):
        runs = {label: [dict(fake_run(s, 0.9 + 0.001 * rng.normal() + (moved if label == "a" else 0.0), 0.3, [0.5]),
                             config={**config, **(change or {})}) for s in seeds] for label, config in CONFIGS.items()}
        part = evidence(runs)
        part["outcomes"] = [{"claim": {"id": cid}, "configs": [CONFIGS[label] for label in labels]}
                            for cid, labels in READS.items()]
        sides.append(part)
    return sides[0], sides[1]


def test_the_plan_reruns_only_the_claims_of_the_flagged_configuration():
    env, base = night(range(4), shift=0.05)
    table = drift_table(env, base)
    assert [(row.config, row.metric) for row in table.drifted] == [("a", "final test accuracy")]
    plan = confirmation_plan(table, env, base, fresh=6)
    assert plan.claims == ("X", "Z") and plan.seeds == 10 and plan.fresh_after == {(None, "a"): 3}
    assert confirmation_plan(drift_table(base, base), base, base) is None
    with pytest.raises(ValueError, match="at least 2 fresh seeds"):
        confirmation_plan(table, env, base, fresh=1)


def test_a_variants_runs_are_read_by_the_claims_of_their_article_configs():
    """A variant's run config carries its change (lr-tuned's rate, bn-before-activation's
    position); the claims list the article's configs, and still read the run."""
    env, base = night(range(4), shift=0.05, change={"learning_rate": 0.0316})
    assert confirmation_plan(drift_table(env, base), env, base).claims == ("X", "Z")
    for part in (env, base):
        part["outcomes"] = [o for o in part["outcomes"] if o["claim"]["id"] == "Y"]
    assert confirmation_plan(drift_table(env, base), env, base).claims == ()  # no claim reads a


@pytest.mark.parametrize("night_args, expected", [
    (["--scale", "ci"], ["--scale", "ci"]),
    (["--scale", "ci", "-k", "A1 or B1", "--seeds", "3", "-mslow", "-kA2", "--seeds=4", "-m", "x"], ["--scale", "ci"]),
])
def test_the_nights_selection_gives_way_to_the_plans(night_args, expected):
    assert without_selection(night_args) == expected
    plan = ConfirmationPlan(claims=("X", "Z"), seeds=10, fresh_after={}, fresh=6)
    assert plan.pytest_args(night_args) == [*expected, "-k", "X or Z", "--seeds", "10"]


@pytest.mark.parametrize("fresh_shift, confirmed", [(0.05, True), (0.0, False), (-0.05, False)])
def test_a_flag_counts_only_if_it_holds_on_fresh_seeds(fresh_shift, confirmed):
    env, base = night(range(4), shift=0.05)
    table = drift_table(env, base)
    plan = confirmation_plan(table, env, base, fresh=6)
    fresh_env, fresh_base = night(range(10), shift=fresh_shift)
    check = confirm_flags(table.drifted, fresh_env, fresh_base, plan.fresh_after, fresh=6)
    (row,) = check.rows
    assert row.seeds == (4, 5, 6, 7, 8, 9) and row.n == 6  # the night's seeds 0-3 are not reused
    assert row.confirmed is confirmed
    assert ("**yes**" in check.markdown()) is confirmed


@pytest.mark.parametrize("fresh_shift", [0.05, -0.05])
def test_a_flag_from_a_run_diverged_on_one_side_has_no_sign_to_keep(fresh_shift):
    env, base = night(range(4), shift=0.05)
    (flag,) = drift_table(env, base).drifted
    flag = dataclasses.replace(flag, difference=math.nan, diverged_one_side=1)
    fresh_env, fresh_base = night(range(10), shift=fresh_shift)
    (row,) = confirm_flags([flag], fresh_env, fresh_base, {(None, "a"): 3}).rows
    assert row.confirmed


def test_a_flag_without_fresh_seeds_stands():
    env, base = night(range(4), shift=0.05)
    table = drift_table(env, base)
    plan = confirmation_plan(table, env, base, fresh=6)
    fresh_env, fresh_base = night(range(5), shift=0.0)  # one fresh seed only
    (row,) = confirm_flags(table.drifted, fresh_env, fresh_base, plan.fresh_after).rows
    assert row.confirmed and row.why.startswith("not tested again")
    assert "**stands**" in confirm_flags(table.drifted, fresh_env, fresh_base, plan.fresh_after).markdown()


# -- calibration and power ------------------------------------------------------------------------

DRAWS = 2_000
NIGHT_SEEDS, FRESH = 10, 6


def one_night(rng: np.random.Generator, shift: float) -> tuple[list, list]:
    """(flags, confirmed) of one simulated night and its confirmation: 8 configurations as in
    tests/test_drift.py's calibration; ``shift`` noise SDs in config0's accuracy on every seed."""
    runs = simulated_runs(rng, shift)
    table = drift_table(evidence(runs["environment"]), evidence(runs["baseline"]), alpha=ALPHA)
    if not table.drifted:
        return [], []
    fresh = simulated_runs(rng, shift, seeds=range(NIGHT_SEEDS, NIGHT_SEEDS + FRESH))
    after = {(None, row.config): NIGHT_SEEDS - 1 for row in table.drifted}
    check = confirm_flags(table.drifted, evidence(fresh["environment"]), evidence(fresh["baseline"]), after,
                          fresh=FRESH, alpha=ALPHA)
    return table.drifted, check.confirmed


def test_unchanged_flags_are_confirmed_at_most_at_alpha_and_a_2_sd_shift_is_confirmed(record_property):
    """Under no change the confirmation is a fresh test: whatever the first table flagged, it
    is confirmed in at most alpha of the draws. So drawn from a flagged table's configurations
    directly (every one of the 8 x 3 flagged) the rate bounds the night's as well."""
    null_rng, shift_rng = rng_for("confirm calibration null"), rng_for("confirm calibration power")
    from reports.drift import DriftRow
    flags = [DriftRow(variant=None, config=f"config{i}", metric=metric, n=NIGHT_SEEDS, difference=sign,
                      standard_error=0.1, df=NIGHT_SEEDS - 1, pvalue=0.001, holm_pvalue=0.01, drifted=True)
             for i in range(8) for metric, sign in (("final test accuracy", 1.0), ("log final test loss", -1.0),
                                                   ("log mean training loss", 1.0))]
    after = {(None, f"config{i}"): NIGHT_SEEDS - 1 for i in range(8)}
    confirmed_any = 0
    for _ in range(DRAWS):
        fresh = simulated_runs(null_rng, 0.0, seeds=range(NIGHT_SEEDS, NIGHT_SEEDS + FRESH))
        check = confirm_flags(flags, evidence(fresh["environment"]), evidence(fresh["baseline"]), after,
                              fresh=FRESH, alpha=ALPHA)
        confirmed_any += bool(check.confirmed)
    found = 0
    for _ in range(DRAWS):
        drifted, confirmed = one_night(shift_rng, 2.0)
        found += any(row.flag.config == "config0" and row.flag.metric == "final test accuracy" for row in confirmed)
    rates = {"confirmed_under_no_change": confirmed_any / DRAWS, "flagged_and_confirmed_2sd": found / DRAWS,
             "draws": DRAWS}
    record_property("confirm_calibration", rates)
    print(f"\nconfirm calibration: {rates}")
    assert confirmed_any <= stats.binom.ppf(0.999, DRAWS, ALPHA), rates
    assert found / DRAWS >= 0.8, rates


# -- the night ------------------------------------------------------------------------------------

def planted(tmp_path: Path, name: str, shift: float, seeds, noise_seed: int = 3, readers: bool = True) -> str:
    """tests/data/evidence.json with its runs on ``seeds``, every test accuracy given seed noise
    (SD 0.002: the same on two sides of the same ``noise_seed``), and sigmoid-bn1-sgd-bs128's moved
    by ``shift``; ``readers`` False: no claim lists a configuration."""
    data = json.loads((DATA / "evidence.json").read_text())
    if not readers:
        for o in data["outcomes"]:
            o["configs"] = []
    rng = np.random.default_rng(noise_seed)
    for label, runs in data["runs"].items():
        template = runs[0]
        data["runs"][label] = []
        for s in seeds:
            run = copy.deepcopy(template)
            run["seed"] = s
            noise = float(rng.normal(0, 0.002))
            run["test_accuracy"] = [a + noise + (shift if label == "sigmoid-bn1-sgd-bs128" else 0.0)
                                    for a in run["test_accuracy"]]
            data["runs"][label].append(run)
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(data))
    return str(path)


def night_with(tmp_path, monkeypatch, fresh_shift: float | None, *extra, readers: bool = True) -> int:
    """pinned and jax through the fake tox, jax's sigmoid-bn1 accuracy moved on the night's
    seeds 0-3 (the same noise on both sides: nothing else drifts) and by ``fresh_shift`` on its
    confirmation's, whose noise is drawn apart for each side (None: the confirmation in jax fails)."""
    missing = str(tmp_path / "missing.json")  # the fake cannot copy it: no evidence, a failed run
    variables = {"FAKE_TOX_EVIDENCE_PINNED": planted(tmp_path, "base", 0.0, range(4)),
                 "FAKE_TOX_EVIDENCE_JAX": planted(tmp_path, "jax", 0.05, range(4), readers=readers),
                 "FAKE_TOX_CONFIRM_PINNED": planted(tmp_path, "base-fresh", 0.0, range(10), noise_seed=4),
                 "FAKE_TOX_CONFIRM_JAX": missing if fresh_shift is None else planted(tmp_path, "jax-fresh",
                                                                                     fresh_shift, range(10), noise_seed=5)}
    for key, value in variables.items():
        monkeypatch.setenv(key, value)
    return main(["pinned", "jax", "--dir", str(tmp_path), "--date", "night", "--tox", FAKE_TOX,
                 "--judge", "baseline", *extra, "--", "--scale", "smoke", "-k", "A2 or A3"])


@pytest.mark.parametrize("fresh_shift, status", [(0.05, 1), (0.0, 0)])
def test_a_night_fails_for_drift_only_when_the_flag_is_confirmed(tmp_path, monkeypatch, fresh_shift, status):
    assert night_with(tmp_path, monkeypatch, fresh_shift) == status
    out = tmp_path / "night"
    result = json.loads((out / "environments.json").read_text())
    drift = result["drift"]["jax"]
    assert "sigmoid-bn1-sgd-bs128 final test accuracy" in drift["drifted"]
    confirmation = drift["confirmation"]
    assert confirmation["seeds"] == 10 and "A1" in confirmation["claims"] and "A2" not in confirmation["claims"]
    assert bool(confirmation["confirmed"]) is (status == 1)
    log = (out / "confirm" / "jax" / "jax" / "log.txt").read_text()
    assert "--seeds 10" in log and "--scale smoke" in log and "A2 or A3" not in log and "-k A1 or B1 or C1" in log
    assert (out / "confirm" / "jax" / "pinned" / "evidence.json").exists()
    assert "Confirmation on fresh seeds" in (out / "environments.md").read_text()
    assert "Confirmation on fresh seeds" in (out / "index.html").read_text()
    # judged again without running: the same status from the confirmation's evidence
    assert main(["--rebuild", "--dir", str(tmp_path), "--date", "night", "--tox", "/nonexistent/tox",
                 "--judge", "baseline"]) == status


def test_without_confirmation_every_flag_fails_the_night(tmp_path, monkeypatch, capsys):
    assert night_with(tmp_path, monkeypatch, 0.0, "--confirm-seeds", "0") == 1
    assert not (tmp_path / "night" / "confirm").exists()
    assert main(["pinned", "--dir", str(tmp_path), "--confirm-seeds", "1"]) == 2
    assert "--confirm-seeds takes 0" in capsys.readouterr().err


def test_a_confirmation_that_cannot_run_lets_the_flags_stand(tmp_path, monkeypatch):
    status = night_with(tmp_path, monkeypatch, None)
    result = json.loads((tmp_path / "night" / "environments.json").read_text())
    confirmation = result["drift"]["jax"]["confirmation"]
    assert status == 1 and confirmation["confirmed"] == result["drift"]["jax"]["drifted"]
    assert "flags stand" in confirmation["summary"] and "jax: FileNotFoundError" in confirmation["problem"]


def test_a_flag_no_claim_reads_stands_without_running(tmp_path, monkeypatch):
    assert night_with(tmp_path, monkeypatch, 0.0, readers=False) == 1
    confirmation = json.loads((tmp_path / "night" / "environments.json").read_text())["drift"]["jax"]["confirmation"]
    assert confirmation["problem"].startswith("no claim") and confirmation["confirmed"]
    assert not (tmp_path / "night" / "confirm").exists()


def test_a_night_judged_by_nothing_confirms_nothing(tmp_path, monkeypatch):
    """--judge none (CI at smoke) reports only, so no confirmation trains."""
    assert night_with(tmp_path, monkeypatch, 0.05, "--judge", "none") == 0
    assert not (tmp_path / "night" / "confirm").exists()
