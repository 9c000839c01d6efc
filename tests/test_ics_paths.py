"""The ICS family's code path end to end, as CI runs it: `pytest claims/test_ics.py --scale smoke`
in a child session (about a minute on the 2-core machine).

The family is judged at ci and at the papers' scale in the nightly (its ci runs cost more than
CI's budget holds, README "Running"); here every one of its claims must reach a verdict, not an
error, through the recorder, the run store, the family's own scale and Holm, and the evidence.
At smoke nothing learns (40 steps), so the verdicts mean nothing and fail as the article's do.
"""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ElementTree

import pytest

from claims import test_ics
from fixtures.claims.claim import Claim
from fixtures.training.ics.scales import ICS_SCALES
from tests.test_reliability import ROOT, child_env

FAMILY = {value.id for value in vars(test_ics).values() if isinstance(value, Claim)}


@pytest.fixture(scope="module")
def smoke_family(tmp_path_factory, mnist_path):
    folder = tmp_path_factory.mktemp("ics")
    args = [sys.executable, "-m", "pytest", "claims/test_ics.py", "-p", "no:cacheprovider", "--scale", "smoke",
            "--store", str(folder / "runs.sqlite"), "--report-dir", str(folder / "out"),
            "--junitxml", str(folder / "junit.xml")]
    result = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=1800,
                            env=child_env(BNCLAIMS_MNIST=str(mnist_path)))
    evidence = json.loads((folder / "out" / "evidence.json").read_text())
    return result, evidence, folder


def test_every_claim_of_the_family_ends_in_a_verdict(smoke_family):
    result, evidence, folder = smoke_family
    assert result.returncode in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED), result.stdout[-3000:]
    suite = ElementTree.parse(folder / "junit.xml").getroot().find("testsuite")
    assert suite.get("errors") == "0" and suite.get("skipped") == "0", result.stdout[-3000:]
    judged = {o["claim"]["id"]: o for o in evidence["outcomes"]}
    assert set(judged) == FAMILY and len(FAMILY) == 10
    assert all(o["claim"]["family"] == "ics" and o["verdict"] for o in judged.values())
    assert "ics claims: first round, 2 seeds of 40 steps" in result.stdout


def test_the_evidence_holds_the_family_scale_and_the_probes(smoke_family):
    _, evidence, _ = smoke_family
    assert evidence["settings"]["families"]["ics"]["scale"] == ICS_SCALES["smoke"].to_dict()
    plain = evidence["family_runs"]["ics"][test_ics.PLAIN.label]
    assert len(plain) == 2
    for run in plain:
        assert run["budget"]["steps"] == 40 and "epochs" not in run["budget"]
        assert run["extras"]["probes"]["probe_steps"] == [0, 20, 40]
        assert len(run["test_accuracy"]) == 2  # one per probe interval


def test_the_family_is_skipped_with_its_reason_under_another_variant(tmp_path, mnist_path):
    args = [sys.executable, "-m", "pytest", "claims/test_ics.py", "-p", "no:cacheprovider", "--scale", "smoke",
            "--store", str(tmp_path / "runs.sqlite"), "--report-dir", str(tmp_path / "out"),
            "--variant", "bn-before-activation,article", "-rs", "-k", "IS1"]
    result = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600,
                            env=child_env(BNCLAIMS_MNIST=str(mnist_path)))
    assert result.returncode in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED), result.stdout[-3000:]
    assert "judged under the article's setup only" in result.stdout
    # The article's variant is not the headline here: its part of the evidence must carry the
    # family's own runs, or its page would read the article family's runs of the same labels.
    variants = json.loads((tmp_path / "out" / "evidence.json").read_text())["variants"]
    assert test_ics.PLAIN.label in variants["article"]["family_runs"]["ics"]
    assert "family_runs" not in variants["bn-before-activation"]
