"""The nightly job (``python -m reports.nightly``, or ``tox -e article``): the article scale, its
benchmark JSON kept under the date, and the report compared with the newest earlier night.

``python -m reports.nightly [--dir reports/nightly] [--date YYYY-MM-DD] [--] [pytest args...]``
creates ``<dir>``, runs ``pytest claims/ --scale article --benchmark-json <dir>/<date>.json``,
then rebuilds ``<dir>/<date>/index.html`` with a "changes since" section against the newest
older ``<dir>/*.json``. Extra arguments go to pytest, after the nightly's own, so they win (for
example ``--scale smoke`` for a quick try, or ``--benchmark-compare-fail=mean:10%`` to let
pytest-benchmark fail the night on a speed regression as well).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from datetime import date, datetime
from pathlib import Path

import pytest

from fixtures.outputs import unwritable
from reports.build import EvidenceError, build_report, load_evidence


def previous_night(folder: Path, tonight: Path) -> Path | None:
    """The newest dated JSON older than tonight's; names sort by date (YYYY-MM-DD.json)."""
    older = sorted(p for p in folder.glob("*.json") if p.name < tonight.name)
    return older[-1] if older else None


def night_date(value: str) -> str:
    """``--date`` as YYYY-MM-DD, else ValueError: the file names must sort by date."""
    return datetime.strptime(value, "%Y-%m-%d").date().isoformat()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reports.nightly", allow_abbrev=False,
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=Path("reports/nightly"), help="where the nights are kept")
    parser.add_argument("--date", default=date.today().isoformat(),
                        help="the night's name, YYYY-MM-DD (default today)")
    args, pytest_args = parser.parse_known_args(argv)
    if "--" in pytest_args:  # argparse keeps the separator; pytest would read what follows as paths
        pytest_args.remove("--")
    try:
        night = night_date(args.date)
    except ValueError:
        print(f"nightly: bad --date {args.date!r}: expected YYYY-MM-DD", file=sys.stderr)
        return 2
    # Before the sweep, not after it: pytest-benchmark does not create the JSON's folder (issue 17).
    reason = unwritable(args.dir)
    if reason:
        print(f"nightly: cannot create {args.dir}: {reason}", file=sys.stderr)
        return 2
    tonight = args.dir / f"{night}.json"
    out_dir = args.dir / night
    tonight.unlink(missing_ok=True)  # a second run the same night must not report the first's
    status = pytest.main(["claims/", "--scale", "article", f"--benchmark-json={tonight}",
                          f"--report-dir={out_dir}", *pytest_args])
    if not tonight.exists() and (out_dir / "evidence.json").exists():
        # pytest-benchmark writes nothing when no benchmark ran (D6 deselected): keep the evidence.
        shutil.copyfile(out_dir / "evidence.json", tonight)
    try:
        evidence, benchmarks = load_evidence(tonight)
        before = previous_night(args.dir, tonight)
        previous, previous_benchmarks = load_evidence(before) if before else (None, None)
    except EvidenceError as error:
        print(f"nightly: no report: {error}", file=sys.stderr)
        return int(status) or 2
    report = build_report(evidence, out_dir, benchmarks=benchmarks, previous=previous,
                          previous_benchmarks=previous_benchmarks)
    print(f"nightly: report {report}" + (f", compared with {before}" if before else ", first night"))
    return int(status)


if __name__ == "__main__":
    sys.exit(main())
