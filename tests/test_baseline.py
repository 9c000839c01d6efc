"""``pytest claims/ --baseline EVIDENCE``: the session's runs compared with a baseline's same seeds.

A planted claim needs one real configuration at the smoke scale, so each session trains (or
reuses) two short runs; the baseline is the first session's own evidence, as the pinned
environment's would be. An unchanged rerun flags nothing; a baseline whose numbers differ makes
the session fail with the drifted rows; a bad baseline is one line before any training.
"""

from __future__ import annotations

import json

import pytest

CLAIM_TEST = """
import pytest
from fixtures.claims.claim import Claim
from fixtures.stats import directional
from fixtures.training.models import ModelConfig

CONFIG = ModelConfig("sigmoid", bn_layers=1)


def evaluate(runs):
    runs.seeds(CONFIG)  # the session trains (or reuses) them, and the evidence lists them
    return directional([1.0, 1.1, 1.2, 1.3], [0.0, 0.05, 0.1, 0.2], alternative="greater", paired=True)


CLAIM = Claim(id="Z8", experiment="test", english="a beats b", turkish="-", metric="m", test="t",
              needs=(CONFIG,), evaluate=evaluate)

@pytest.mark.claim(CLAIM)
def test_claim(judge):
    judge(CLAIM)
"""


@pytest.fixture
def session(pytester, tmp_path, mnist_path, monkeypatch):
    monkeypatch.setenv("BNCLAIMS_MNIST", str(mnist_path))
    pytester.makeconftest('pytest_plugins = ["fixtures.plugin"]')
    pytester.makepyfile(test_z8=CLAIM_TEST)

    def run(out: str, *args: str):
        return pytester.runpytest("--scale=smoke", "--workers=1", f"--store={tmp_path / 's.sqlite'}",
                                  f"--report-dir={tmp_path / out}", *args)

    return run


def test_an_unchanged_rerun_does_not_drift_and_a_changed_baseline_does(session, tmp_path):
    assert session("base").ret == pytest.ExitCode.OK
    baseline = tmp_path / "base" / "evidence.json"

    same = session("same", f"--baseline={baseline}")
    assert same.ret == pytest.ExitCode.OK
    same.stdout.fnmatch_lines(["*bn-claims drift against the baseline*",
                               "drift: 0 of 3 (configuration, metric) tests moved beyond noise*"])
    evidence = json.loads((tmp_path / "same" / "evidence.json").read_text())
    assert evidence["drift"]["drifted"] == []
    assert "Drift against the baseline" in (tmp_path / "same" / "index.html").read_text()

    moved = json.loads(baseline.read_text())
    for run in moved["runs"]["sigmoid-bn1-sgd-bs128"]:
        run["test_accuracy"] = [a - 0.05 for a in run["test_accuracy"]]  # the baseline learnt 5 points less
    changed = tmp_path / "moved.json"
    changed.write_text(json.dumps(moved))
    drifted = session("drifted", f"--baseline={changed}")
    assert drifted.ret == pytest.ExitCode.TESTS_FAILED  # the claim itself passed: the drift fails it
    drifted.stdout.fnmatch_lines(["drift: 1 of 3 (configuration, metric) tests moved beyond noise*"])
    assert json.loads((tmp_path / "drifted" / "evidence.json").read_text())["drift"]["drifted"] == [
        "sigmoid-bn1-sgd-bs128 final test accuracy"]


def test_a_missing_baseline_is_a_usage_error_before_training(session, tmp_path):
    result = session("x", f"--baseline={tmp_path / 'nope.json'}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: bn-claims: --baseline {tmp_path / 'nope.json'}: no such file"])
    assert not (tmp_path / "s.sqlite").exists()


def test_a_baseline_of_another_scale_is_said_and_fails_the_session(session, tmp_path):
    assert session("base").ret == pytest.ExitCode.OK
    other = json.loads((tmp_path / "base" / "evidence.json").read_text())
    other["settings"]["scale"]["epochs"] = 6
    other["settings"]["scale_label"] = "ci"
    path = tmp_path / "other.json"
    path.write_text(json.dumps(other))
    result = session("again", f"--baseline={path}")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([f"bn-claims: no drift comparison with {path}: *"])
