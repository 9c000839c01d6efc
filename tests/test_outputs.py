"""The folders a session writes into (``fixtures/outputs.py``): created up front, and one that
cannot be written is a one-line usage error before any training, not a traceback at the end.

A regular file where a folder should be makes it uncreatable even for root (file permissions do
not stop root).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from fixtures.outputs import unwritable

ROOT = Path(__file__).resolve().parent.parent
PLUGINS = 'pytest_plugins = ["fixtures.plugin", "fixtures.outputs"]'


@pytest.fixture
def blocker(tmp_path) -> Path:
    path = tmp_path / "not-a-folder"
    path.write_text("a file where a folder should be")
    return path


def test_a_missing_folder_is_created_with_its_parents(tmp_path):
    folder = tmp_path / "a" / "b" / "c"
    assert unwritable(folder) is None
    assert folder.is_dir() and list(folder.iterdir()) == []  # the probe file is gone


def test_a_file_in_the_way_is_named(blocker):
    assert unwritable(blocker) == f"{blocker} is a file, not a folder"
    assert unwritable(blocker / "out" / "deeper") == f"{blocker} is a file, not a folder"


def test_benchmark_json_goes_into_a_folder_that_did_not_exist(pytester, tmp_path):
    """Issue 17: pytest-benchmark opens --benchmark-json at the end and never makes its folder."""
    pytester.makeconftest(PLUGINS)
    pytester.makepyfile(test_bench="def test_bench(benchmark):\n    benchmark(sum, [1, 2])\n")
    target = tmp_path / "nightly" / "fresh" / "night.json"
    result = pytester.runpytest(f"--store={tmp_path / 's.sqlite'}", f"--benchmark-json={target}")
    result.assert_outcomes(passed=1)
    assert json.loads(target.read_text())["benchmarks"][0]["name"] == "test_bench"


def test_an_uncreatable_benchmark_json_folder_stops_the_session_at_once(pytester, tmp_path, blocker):
    pytester.makeconftest(PLUGINS)
    pytester.makepyfile(test_bench="def test_bench(benchmark):\n    benchmark(sum, [1, 2])\n")
    result = pytester.runpytest(f"--store={tmp_path / 's.sqlite'}", f"--benchmark-json={blocker / 'x.json'}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: bn-claims: cannot write to the --benchmark-json folder {blocker}: *"])
    assert "passed" not in result.stdout.str()  # stopped before the first test


def test_a_session_without_claims_does_not_need_the_report_folder(pytester, tmp_path, blocker):
    pytester.makeconftest(PLUGINS)
    pytester.makepyfile(test_plain="def test_plain():\n    pass\n")
    result = pytester.runpytest(f"--store={tmp_path / 's.sqlite'}", f"--report-dir={blocker / 'out'}")
    result.assert_outcomes(passed=1)


def claims_with_report_dir(tmp_path, report_dir, *args):
    return subprocess.run(
        [sys.executable, "-m", "pytest", "claims/", "-p", "no:cacheprovider", "--scale", "smoke", "-k", "A1",
         "--store", str(tmp_path / "runs.sqlite"), "--report-dir", str(report_dir), *args],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )


@pytest.mark.parametrize("args", [(), ("-n", "2")], ids=["serial", "xdist"])
def test_an_uncreatable_report_folder_stops_pytest_claims_before_training(tmp_path, blocker, args):
    """Checked only after collection, when claims are selected (xdist: at the start); training
    starts later, with the first claim test."""
    result = claims_with_report_dir(tmp_path, blocker / "out", *args)
    output = result.stdout + result.stderr
    assert result.returncode == pytest.ExitCode.USAGE_ERROR, output[-3000:]
    errors = [line for line in output.splitlines() if "bn-claims: cannot write" in line]
    assert errors == [f"ERROR: bn-claims: cannot write to the report folder {blocker / 'out'}: "
                      f"{blocker} is a file, not a folder"]
    assert "[bn-claims]" not in output and "Traceback" not in output  # nothing trained, no crash
    assert not (tmp_path / "runs.sqlite").exists()
