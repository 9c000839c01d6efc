"""Drift against a baseline (``reports/drift.py``, ``python -m reports drift``).

What must hold, and what each part would catch:
- the table: per (configuration, metric) a paired test on the seeds both files hold (paired by
  seed number, not by position), Holm over the whole table, configurations and variants on one
  side listed but not tested, different scales refused naming both, the CLI's exit statuses;
- calibration: in 2,000 simulated unchanged environments whose per-seed numbers differ from the
  baseline's by as much as seeds differ (the float-noise case), the table flags anything in at
  most alpha of them (a table without Holm flags something in most); power: a shift of 2 noise
  SDs in one metric of one configuration is flagged in most draws (an unpaired test would not);
- on real training at the smoke scale: an identical environment and one whose initial weights
  moved by one float32 ulp flag nothing, while a BatchNormalization with another epsilon swapped
  in flags the BN configuration and not the one without BN.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from fixtures.stats.multiple import holm
from fixtures.training.scales import SCALES
from reports.__main__ import main
from reports.drift import METRICS, DriftError, drift_table
from tests.stats.simulate import rng_for

ROOT = Path(__file__).resolve().parents[1]
SMOKE = SCALES["smoke"]
SMOKE_DICT = SMOKE.to_dict()
ALPHA = 0.05


def fake_run(seed: int, accuracy: float, test_loss: float, train_losses) -> dict:
    """The fields of a RunResult dict that drift reads."""
    train_losses = list(train_losses)
    n = len(train_losses)
    return {"seed": seed, "train_loss": train_losses, "train_accuracy": [0.5] * n,
            "test_loss": [test_loss] * n,
            "test_accuracy": [accuracy] * n, "diverged_epoch": None}


def evidence(runs: dict, *, scale=SMOKE, versions=None, label=None) -> dict:
    """A minimal evidence dict (as fixtures/evidence.py writes it) holding ``runs``."""
    return {"schema": 1, "outcomes": [],
            "environment": {"versions": versions or {"tensorflow": "2.18.0", "keras": "3.8.0"}},
            "settings": {"scale": SMOKE_DICT if scale is SMOKE else scale.to_dict(), "scale_label": label or scale.label},
            "runs": runs}


def planted_runs(rng: np.random.Generator, configs, seeds, shift: dict | None = None) -> dict:
    shift = shift or {}
    return {label: [fake_run(s, 0.9 + rng.normal(0, 0.01) + shift.get(label, 0.0), math.exp(rng.normal(-1, 0.05)),
                             [math.exp(rng.normal(-0.5, 0.05))] * 2) for s in seeds] for label in configs}


BASE_RUNS = {
    "sigmoid-bn0-sgd-bs128": [fake_run(s, 0.90 + 0.01 * s, 0.30 + 0.01 * s, [0.5 + 0.01 * s, 0.4]) for s in range(4)],
    "sigmoid-bn1-sgd-bs128": [fake_run(s, 0.95 + 0.005 * s, 0.20 + 0.01 * s, [0.3 + 0.01 * s, 0.2]) for s in range(4)],
}


# -- the table ----------------------------------------------------------------------------------

def test_identical_files_drift_nothing():
    table = drift_table(evidence(BASE_RUNS), evidence(json.loads(json.dumps(BASE_RUNS))))
    assert len(table.rows) == 2 * len(METRICS) and not table.drifted
    assert all(row.pvalue == 1.0 and row.difference == 0.0 and row.n == 4 for row in table.rows)
    assert table.summary() == "drift: 0 of 6 (configuration, metric) tests moved beyond noise (Holm, alpha 0.05)"


@pytest.mark.parametrize("environment_accuracy, drifted", [
    (0.1135, False),  # 1,135 of 10,000 as Keras on PyTorch stores it; TensorFlow: float32's nearest
    (0.1136, True),  # one more image right in every seed: a constant shift is a change
], ids=["same-count-other-float", "one-image-more"])
def test_accuracy_compares_as_a_count_of_test_images(environment_accuracy, drifted):
    ci = SCALES["ci"]
    base = {"stuck": [fake_run(s, float(np.float32(0.1135)), 2.3, [2.3]) for s in range(3)]}
    env = {"stuck": [fake_run(s, environment_accuracy, 2.3, [2.3]) for s in range(3)]}
    table = drift_table(evidence(env, scale=ci), evidence(base, scale=ci))
    row = next(row for row in table.rows if row.metric == "final test accuracy")
    assert row.drifted is drifted and (row.difference == 0) is not drifted


def test_rows_pair_by_seed_number_and_holm_runs_over_the_table():
    rng = rng_for("drift table holm")
    base = planted_runs(rng, ["a", "b", "c"], range(5))
    env = planted_runs(rng, ["a", "b", "c"], range(5), shift={"b": 0.05})
    env["c"] = env["c"][::-1] + [fake_run(9, 0.5, 1.0, [1.0, 1.0])]  # another order, a seed the baseline lacks
    table = drift_table(evidence(env), evidence(base))
    raw = [row.pvalue for row in table.rows]
    assert [row.holm_pvalue for row in table.rows] == pytest.approx(list(holm(raw)), rel=1e-12)
    assert all(row.drifted == (row.holm_pvalue < ALPHA) for row in table.rows)
    assert {(row.config, row.metric) for row in table.drifted} == {("b", "final test accuracy")}
    c = next(row for row in table.rows if row.config == "c" and row.metric == "final test accuracy")
    accuracy = METRICS["final test accuracy"]  # as a count of the scale's test images
    by_seed = {run["seed"]: accuracy(run, SMOKE.test_size) for run in env["c"]}
    expected = [by_seed[s] - accuracy(run, SMOKE.test_size) for s, run in enumerate(base["c"])]
    assert c.n == 5 and c.pvalue == pytest.approx(float(stats.ttest_1samp(expected, 0).pvalue), rel=1e-9)


def test_one_sided_configurations_are_listed_not_tested():
    env = {**BASE_RUNS, "relu-bn0-sgd-bs128": BASE_RUNS["sigmoid-bn0-sgd-bs128"]}
    base = {"sigmoid-bn1-sgd-bs128": BASE_RUNS["sigmoid-bn1-sgd-bs128"],
            "sigmoid-bn0-sgd-bs64": BASE_RUNS["sigmoid-bn0-sgd-bs128"][:1],
            "sigmoid-bn0-sgd-bs128": BASE_RUNS["sigmoid-bn0-sgd-bs128"][:1]}
    table = drift_table(evidence(env), evidence(base))
    assert table.only_in_environment == ("relu-bn0-sgd-bs128",)
    assert table.only_in_baseline == ("sigmoid-bn0-sgd-bs64",)
    assert [label for label, _ in table.untested] == ["sigmoid-bn0-sgd-bs128"]  # one common seed
    assert {row.config for row in table.rows} == {"sigmoid-bn1-sgd-bs128"}
    text = table.markdown()
    assert "Only in the environment (not tested): relu-bn0-sgd-bs128." in text
    assert "Not tested: sigmoid-bn0-sgd-bs128: 1 seed(s) on both sides" in text


def test_different_scales_are_refused_naming_both():
    ci = SCALES["ci"]
    with pytest.raises(DriftError, match=r"environment 'smoke', baseline 'ci' \(they differ in epochs, name, "):
        drift_table(evidence(BASE_RUNS), evidence(BASE_RUNS, scale=ci))
    # Other seed lists or looks are the same scale: the seeds both hold are compared.
    fewer = SMOKE.__class__(**{**SMOKE.__dict__, "seeds": (0, 1, 2), "overrides": "seeds=3"})
    assert not drift_table(evidence(BASE_RUNS, scale=fewer), evidence(BASE_RUNS)).drifted


def test_lr_tuned_tuning_scores_do_not_make_another_scale():
    """Tuning scores differ between environments as any run's numbers do: not a scale change."""
    env, base = evidence(BASE_RUNS), evidence(BASE_RUNS)
    env["settings"]["scale"] = {**env["settings"]["scale"], "variant": {"name": "lr-tuned", "tuning": {"a": [0.91]}}}
    base["settings"]["scale"] = {**base["settings"]["scale"], "variant": {"name": "lr-tuned", "tuning": {"a": [0.92]}}}
    assert not drift_table(env, base).drifted
    base["settings"]["scale"]["variant"]["name"] = "article"
    with pytest.raises(DriftError, match="variant"):
        drift_table(env, base)


def test_variants_compare_with_their_namesakes():
    shifted = {label: [{**run, "test_accuracy": [a + 0.01 + 0.001 * (run["seed"] % 2) for a in run["test_accuracy"]]}
                       for run in runs] for label, runs in BASE_RUNS.items()}

    def with_variants(parts):
        ev = evidence(BASE_RUNS)
        ev["variants"] = {name: {"settings": ev["settings"], "outcomes": [], "runs": runs} for name, runs in parts.items()}
        return ev

    table = drift_table(with_variants({"article": BASE_RUNS, "lr-tuned": shifted, "adam": BASE_RUNS}),
                        with_variants({"article": BASE_RUNS, "lr-tuned": BASE_RUNS, "fashion-mnist": BASE_RUNS}))
    assert {row.variant for row in table.rows} == {"article", "lr-tuned"}
    assert {(row.variant, row.metric) for row in table.drifted} == {("lr-tuned", "final test accuracy")}
    assert table.only_in_environment == ("variant adam",) and table.only_in_baseline == ("variant fashion-mnist",)
    assert "| variant | configuration |" in table.markdown()


def test_a_run_diverged_in_one_environment_only_drifts():
    env = json.loads(json.dumps(BASE_RUNS))
    env["sigmoid-bn1-sgd-bs128"][2] = fake_run(2, math.nan, math.nan, [0.3, math.nan])
    table = drift_table(evidence(env), evidence(BASE_RUNS))
    drifted = {(row.config, row.metric) for row in table.drifted}
    assert drifted == {("sigmoid-bn1-sgd-bs128", metric) for metric in METRICS}
    assert all(row.diverged_one_side == 1 and row.pvalue == 0.0 for row in table.drifted)
    assert "(+1 diverged on one side)" in table.markdown()


def test_markdown_names_the_versions_and_what_changed():
    table = drift_table(evidence(BASE_RUNS, versions={"tensorflow": "2.19.0", "keras": "3.9.0"}),
                        evidence(BASE_RUNS))
    text = table.markdown()
    assert "- environment: keras 3.9.0, tensorflow 2.19.0" in text
    assert "- baseline: keras 3.8.0, tensorflow 2.18.0" in text
    assert "versions that differ: keras 3.8.0 -> 3.9.0, tensorflow 2.18.0 -> 2.19.0" in text
    assert text.count("\n| sigmoid-") == 6


# -- the command ----------------------------------------------------------------------------------

def write(path: Path, data: dict) -> Path:
    path.write_text(json.dumps(data))
    return path


def test_cli_exit_status_and_output(tmp_path, capsys):
    base = write(tmp_path / "base.json", evidence(BASE_RUNS))
    same = write(tmp_path / "same.json", evidence(BASE_RUNS))
    moved = json.loads(json.dumps(BASE_RUNS))
    for run in moved["sigmoid-bn0-sgd-bs128"]:
        run["train_loss"] = [v * 1.2 for v in run["train_loss"]]
    moved = write(tmp_path / "moved.json", evidence(moved))
    assert main(["drift", str(same), str(base)]) == 0
    out = capsys.readouterr().out
    assert out.rstrip().splitlines()[-1] == (
        "drift: 0 of 6 (configuration, metric) tests moved beyond noise (Holm, alpha 0.05)")
    assert main(["drift", str(moved), str(base)]) == 1
    out = capsys.readouterr().out
    assert "| sigmoid-bn0-sgd-bs128 | log mean training loss | 4 | +0.182 [+0.182, +0.182] | 0 | 0 | **yes** |" in out
    assert out.rstrip().endswith("drift: 1 of 6 (configuration, metric) tests moved beyond noise (Holm, alpha 0.05)")


@pytest.mark.parametrize("case", ["missing", "not json", "scale"])
def test_cli_errors_are_one_line_and_status_2(tmp_path, capsys, case):
    base = write(tmp_path / "base.json", evidence(BASE_RUNS))
    other = {"missing": tmp_path / "nowhere.json",
             "not json": tmp_path / "bad.json",
             "scale": write(tmp_path / "ci.json", evidence(BASE_RUNS, scale=SCALES["ci"]))}[case]
    if case == "not json":
        other.write_text("{")
    assert main(["drift", str(other), str(base)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and len(captured.err.strip().splitlines()) == 1
    assert captured.err.startswith("python -m reports: error: ")
    if case == "scale":
        assert "'ci'" in captured.err and "'smoke'" in captured.err


def test_cli_runs_as_a_module(tmp_path):
    base = write(tmp_path / "base.json", evidence(BASE_RUNS))
    done = subprocess.run([sys.executable, "-m", "reports", "drift", str(base), str(base)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().endswith("drift: 0 of 6 (configuration, metric) tests moved beyond noise "
                                         "(Holm, alpha 0.05)")


# -- calibration and power ------------------------------------------------------------------------

DRAWS = 2_000
CONFIGS = [f"config{i}" for i in range(8)]  # 8 configurations x 3 metrics = 24 tests per table
SEEDS = 10  # the article scale's seeds
SD = np.array([0.01, 0.05, 0.05])  # seed SD of accuracy, log test loss, log mean training loss


def simulated_runs(rng: np.random.Generator, shift: float = 0.0, seeds=range(SEEDS), configs=CONFIGS) -> dict:
    """{"environment": runs, "baseline": runs} on ``seeds``: per-seed values with seed noise; the
    environment is the baseline plus independent noise of the same size (the float-noise case),
    its three metrics' noises correlated 0.5; ``shift`` noise SDs added to config0's final test
    accuracy."""
    seeds = list(seeds)
    runs = {"baseline": {}, "environment": {}}
    for label in configs:
        seed_effect = rng.normal(size=(len(seeds), 3))
        common = rng.normal(size=(len(seeds), 1))
        noise = math.sqrt(0.5) * common + math.sqrt(0.5) * rng.normal(size=(len(seeds), 3))
        if label == "config0":
            noise[:, 0] += shift
        for side, z in (("baseline", seed_effect), ("environment", seed_effect + noise)):
            values = (np.array([0.9, -1.0, -0.5]) + SD * z).tolist()
            runs[side][label] = [fake_run(s, acc, math.exp(log_test), [math.exp(log_train)])
                                 for s, (acc, log_test, log_train) in zip(seeds, values)]
    return runs


def simulated_table(rng: np.random.Generator, shift: float = 0.0):
    """The drift table of one ``simulated_runs`` pair."""
    runs = simulated_runs(rng, shift)
    return drift_table(evidence(runs["environment"]), evidence(runs["baseline"]), alpha=ALPHA)


def test_false_flags_stay_at_alpha_and_a_2_sd_shift_is_found(record_property):
    began = time.perf_counter()
    null_rng, shift_rng = rng_for("drift calibration null"), rng_for("drift calibration power")
    any_flag = any_raw = 0
    for _ in range(DRAWS):
        table = simulated_table(null_rng)
        any_flag += bool(table.drifted)
        any_raw += any(row.pvalue < ALPHA for row in table.rows)
    found = other_flags = 0
    for _ in range(DRAWS):
        table = simulated_table(shift_rng, shift=2.0)
        found += any(row.config == "config0" and row.metric == "final test accuracy" for row in table.drifted)
        other_flags += any(not (row.config == "config0" and row.metric == "final test accuracy")
                           for row in table.drifted)
    seconds = time.perf_counter() - began
    rates = {"false_flag_rate": any_flag / DRAWS, "raw_false_flag_rate": any_raw / DRAWS,
             "power_2sd": found / DRAWS, "other_false_flag_rate": other_flags / DRAWS, "draws": DRAWS,
             "seconds": round(seconds, 1)}
    record_property("drift_calibration", rates)
    print(f"\ndrift calibration: {rates}")
    # Family-wise: at most alpha, with room for Monte Carlo error (binomial 99.9% quantile).
    bound = stats.binom.ppf(0.999, DRAWS, ALPHA)
    assert any_flag <= bound and other_flags <= bound, rates
    assert any_raw / DRAWS > 0.5, rates  # what Holm guards against: 24 tests at 0.05 each
    assert found / DRAWS >= 0.8, rates
