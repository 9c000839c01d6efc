"""The claim plugin: verdicts decide pass/fail, and an expected failure must be the expected one."""

from __future__ import annotations

import pytest

CLAIM_TEST = """
import pytest
from fixtures.claims.claim import Claim, Expectation
from fixtures.stats import directional

EXPECT = {{"ci": Expectation("refuted", "planted for this test")}} if {expect!r} else {{}}
CLAIM = Claim(id="Z9", experiment="test", english="a beats b", turkish="-", metric="m", test="t",
              expected=EXPECT,
              evaluate=lambda runs: directional({a!r}, {b!r}, alternative="greater", paired=True))

@pytest.mark.claim(CLAIM)
def test_claim(judge):
    judge(CLAIM)
"""
HIGH = [1.0, 1.1, 1.2, 1.3, 1.4]
LOW = [0.0, 0.05, 0.1, 0.2, 0.2]
NOISE = [0.5, 1.5, 0.7, 1.2, 0.6]


@pytest.fixture
def run_claim(pytester, tmp_path):
    pytester.makeconftest('pytest_plugins = ["fixtures.plugin"]')

    def run(a, b, expect):
        pytester.makepyfile(test_z9=CLAIM_TEST.format(a=a, b=b, expect=expect))
        # "--opt=value": pytest's first pass, before the plugin's options exist, would otherwise
        # take an existing store file for a test path and miss the conftest that adds them.
        return pytester.runpytest(f"--store={tmp_path / 's.sqlite'}", f"--report-dir={tmp_path / 'out'}")

    return run


@pytest.mark.parametrize(
    "a, b, expect, outcome",
    [
        (HIGH, LOW, False, {"passed": 1}),  # supported, as declared
        (LOW, HIGH, False, {"failed": 1}),  # refuted but declared to hold
        (LOW, HIGH, True, {"xfailed": 1}),  # refuted, as measured and declared
        (HIGH, LOW, True, {"failed": 1}),  # declared refuted, now supported: strict xfail fails
        (NOISE, HIGH[::-1], True, {"failed": 1}),  # declared refuted, now inconclusive: fails
    ],
    ids=["supported", "unexpected-refuted", "expected-refuted", "flipped-to-supported", "flipped-to-inconclusive"],
)
def test_verdict_decides_the_outcome(run_claim, a, b, expect, outcome):
    result = run_claim(a, b, expect)
    result.assert_outcomes(**outcome)
    result.stdout.fnmatch_lines(["*bn-claims verdicts*", "Z9 *"])


def test_evidence_is_written_for_the_report(run_claim, tmp_path):
    import json

    run_claim(HIGH, LOW, False)
    evidence = json.loads((tmp_path / "out" / "evidence.json").read_text())
    assert [o["claim"]["id"] for o in evidence["outcomes"]] == ["Z9"]
    assert evidence["environment"]["dataset_sha256"] and evidence["settings"]["scale"]["name"] == "ci"


def test_session_writes_the_report_and_compares_with_the_last_run(run_claim, tmp_path):
    first = run_claim(HIGH, LOW, False)
    first.stdout.fnmatch_lines([f"bn-claims: report written to {tmp_path / 'out' / 'index.html'}"])
    page = (tmp_path / "out" / "index.html").read_text()
    assert "Z9" in page and "Changes since" not in page  # nothing saved before the first run

    run_claim(LOW, HIGH, False)
    page = (tmp_path / "out" / "index.html").read_text()
    changes = page[page.index("Changes since"):]
    assert 'id="verdict-changes"' in changes and "Z9" in changes
    assert "different scale" not in changes


def test_a_store_failing_mid_session_stops_it_with_a_usage_error(pytester, tmp_path):
    pytester.makeconftest('pytest_plugins = ["fixtures.plugin"]')
    pytester.makepyfile(test_full="""
from fixtures.execution.store import StoreError

def test_fills_the_disk():
    raise StoreError("run store s.sqlite: cannot write (database or disk is full)")

def test_never_reached():
    pass
""")
    result = pytester.runpytest(f"--store={tmp_path / 's.sqlite'}", f"--report-dir={tmp_path / 'out'}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stdout.fnmatch_lines(["*bn-claims: run store s.sqlite: cannot write (database or disk is full)*"])
    result.assert_outcomes()  # stopped at once: neither test is reported as run


def test_an_unwritable_report_folder_still_shows_the_verdicts(pytester, tmp_path):
    pytester.makeconftest('pytest_plugins = ["fixtures.plugin"]')
    pytester.makepyfile(test_z9=CLAIM_TEST.format(a=HIGH, b=LOW, expect=False))
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the report folder should be")
    result = pytester.runpytest(f"--store={tmp_path / 's.sqlite'}", f"--report-dir={blocker}")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["Z9 *", "bn-claims: no report written: *"])


USES_RUNS = """
import pytest
from fixtures.training.models import ModelConfig

@pytest.mark.needs_runs({declared})
def test_uses(runs):
    runs.seeds(ModelConfig())
"""


@pytest.mark.parametrize("declared, warns", [("ModelConfig()", False), ("", True)], ids=["declared", "undeclared"])
def test_a_claim_using_undeclared_runs_is_warned(pytester, tmp_path, mnist_path, declared, warns):
    pytester.makeconftest('pytest_plugins = ["fixtures.plugin"]')
    pytester.makepyfile(test_uses=USES_RUNS.format(declared=declared))
    result = pytester.runpytest("--scale=smoke", f"--store={tmp_path / 's.sqlite'}",
                                f"--report-dir={tmp_path / 'out'}", "--workers=1",
                                "-W", "always::UserWarning")  # this suite's own ini makes warnings errors
    result.assert_outcomes(passed=1, warnings=1 if warns else 0)
    assert ("does not declare with needs_runs: sigmoid-bn0-sgd-bs128" in result.stdout.str()) == warns
