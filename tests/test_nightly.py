"""``python -m reports.nightly`` as the nightly job runs it, from a folder with no nights yet.

Issue 17: on a fresh clone (``reports/nightly/`` is ignored by git) the first article-scale night
trained everything and then crashed writing its benchmark JSON. Here two smoke-scale nights run
end to end in a fresh temporary folder, the second compared with the first; and a folder the
nightly cannot create, or a bad date, is one line and exit 2 before pytest starts.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def nightly(*args, timeout=600):
    return subprocess.run([sys.executable, "-m", "reports.nightly", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})


@pytest.mark.slow
def test_two_nights_from_a_fresh_folder(tmp_path, mnist_path):
    """A1 trains runs; D6 is the benchmark, so pytest-benchmark itself writes <date>.json."""
    nights = tmp_path / "nightly"
    smoke = ["--", "--scale", "smoke", "--store", str(tmp_path / "runs.sqlite"), "-k", "A1 or D6",
             "-p", "no:cacheprovider"]
    reports, outputs = [], []
    for night in ("2026-01-01", "2026-01-02"):
        result = nightly("--dir", str(nights), "--date", night, *smoke)
        output = result.stdout + result.stderr
        # Smoke-scale verdicts (2 seeds) are not under test: a claim may fail (1), nothing may crash.
        assert result.returncode in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED), output[-3000:]
        assert "Traceback" not in output and "scale=smoke" in output  # the later --scale won
        assert "test_d6_" in (nights / f"{night}.json").read_text()  # pytest-benchmark's own file
        reports.append(nights / night / "index.html")
        assert reports[-1].is_file()
        outputs.append(result.stdout)
    first, second = outputs
    assert f"nightly: report {reports[0]}, first night" in first
    assert f"nightly: report {reports[1]}, compared with {nights / '2026-01-01.json'}" in second
    assert "Changes since" not in reports[0].read_text()
    assert "Changes since" in reports[1].read_text()


@pytest.mark.parametrize(
    "args, message",
    [
        (lambda tmp: ["--dir", str(tmp / "not-a-folder" / "nightly")],
         lambda tmp: f"nightly: cannot create {tmp / 'not-a-folder' / 'nightly'}: "
                     f"{tmp / 'not-a-folder'} is a file, not a folder"),
        (lambda tmp: ["--dir", str(tmp / "nightly"), "--date", "26-11-2026"],
         lambda tmp: "nightly: bad --date '26-11-2026': expected YYYY-MM-DD"),
    ],
    ids=["file-in-the-way", "bad-date"],
)
def test_a_night_that_cannot_start_is_one_line_before_pytest(tmp_path, args, message):
    (tmp_path / "not-a-folder").write_text("a file where the nights should go")
    result = nightly(*args(tmp_path), timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip() == message(tmp_path)
    assert result.stdout == ""  # pytest never started
