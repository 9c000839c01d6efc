"""``python -m reports build EVIDENCE.json [--out DIR] [--compare PREVIOUS.json] [--environments ENVIRONMENTS.json]``,
``python -m reports table EVIDENCE.json [EVIDENCE2.json ...]``,
``python -m reports matrix EVIDENCE.json [EVIDENCE2.json ...]``,
``python -m reports tuning EVIDENCE.json``,
``python -m reports drift EVIDENCE.json BASELINE.json``.

``build`` rebuilds the HTML report from a stored evidence.json, or from a pytest-benchmark JSON
with the evidence under ``"bnclaims"`` (then the D6 timing figure is drawn too), without
training anything; ``--environments`` adds the claims across environments
(``reports.environments``) as a section, for the baseline environment's evidence. ``table``
prints the README's verdict table (Markdown): one row per claim, one column per evidence file.
``matrix`` prints the claim x variant matrix (Markdown) of a ``--variant`` run with several
variants, or of several runs' evidence files, a variant or more each (their columns in the order
given, each session's date and commit listed), after the error rate across its variants and what
its intervals' levels are.
``tuning`` prints the lr-tuned variant's tuned rates, per network, with each tuning seed's score
and own choice (``reports/tuning.py``). ``drift``
prints which configurations' numbers moved beyond float noise against a baseline evidence file
(``reports/drift.py``) and a summary line; its exit status is 1 when anything drifted, 0 when
nothing did. A file that cannot be read as evidence (or, for ``drift``, two files of different
scales) is a one-line error and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from reports.build import EvidenceError, build_report, load_evidence, verdict_table
from reports.drift import drift_table
from reports.matrix import combined, matrix_markdown
from reports.tuning import tuning_markdown


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m reports", description="The bn-claims HTML evidence report.")
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="write index.html from stored evidence")
    build.add_argument("evidence", type=Path, help="evidence.json, or a pytest-benchmark JSON with \"bnclaims\"")
    build.add_argument("--out", type=Path, default=None,
                       help="folder for index.html (default: the evidence file's folder)")
    build.add_argument("--compare", type=Path, default=None, metavar="PREVIOUS",
                       help="an earlier evidence or benchmark JSON: add a 'changes since' section")
    build.add_argument("--environments", type=Path, default=None, metavar="ENVIRONMENTS_JSON",
                       help="environments.json of python -m reports.environments, whose baseline this "
                            "evidence is: add the claims across environments as a section")
    table = commands.add_parser("table", help="print the verdict table (Markdown), one column per evidence file")
    table.add_argument("evidence", type=Path, nargs="+", help="evidence.json or pytest-benchmark JSON files")
    table.add_argument("--family", default="article", choices=("article", "ics"),
                       help="the claim family to tabulate: the article's claims (default) or the papers' ICS claims")
    matrix = commands.add_parser("matrix", help="print the claim x variant matrix (Markdown) of a --variant run")
    matrix.add_argument("evidence", type=Path, nargs="+",
                        help="evidence.json of pytest claims/ --variant all, or of several sessions (a variant or more each)")
    tuning = commands.add_parser("tuning", help="print the lr-tuned variant's tuned rates and their spread (Markdown)")
    tuning.add_argument("evidence", type=Path, help="evidence.json of a session with --variant lr-tuned")
    drift = commands.add_parser("drift", help="which configurations moved beyond noise against a baseline (Markdown)")
    drift.add_argument("evidence", type=Path, help="evidence.json of the environment under test")
    drift.add_argument("baseline", type=Path, help="evidence.json of the baseline (pinned) environment")
    return parser


def load_environments(path: Path) -> dict:
    """environments.json as written by ``python -m reports.environments``; one-line errors."""
    try:
        result = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise EvidenceError(f"{path}: cannot read environments.json: {error}") from None
    if not isinstance(result, dict) or "runs" not in result or "drift" not in result:
        raise EvidenceError(f"{path}: not an environments.json of python -m reports.environments")
    # Files written before the baseline was recorded at the top: it is the matrix's.
    result.setdefault("baseline", (result.get("matrix") or {}).get("baseline", "pinned"))
    return result


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command == "table":
            print(verdict_table([load_evidence(path)[0] for path in args.evidence], args.family), end="")
            return 0
        if args.command == "matrix":
            print(matrix_markdown(combined([load_evidence(path)[0] for path in args.evidence])), end="")
            return 0
        if args.command == "tuning":
            print(tuning_markdown(load_evidence(args.evidence)[0]), end="")
            return 0
        if args.command == "drift":
            table = drift_table(load_evidence(args.evidence)[0], load_evidence(args.baseline)[0])
            print(table.markdown())
            print(table.summary())
            return 1 if table.drifted else 0
        evidence, benchmarks = load_evidence(args.evidence)
        previous, previous_benchmarks = load_evidence(args.compare) if args.compare else (None, None)
        environments = load_environments(args.environments) if args.environments else None
    except (EvidenceError, ValueError) as error:  # ValueError: no variants section or tuning record; drift: different scales
        print(f"python -m reports: error: {error}", file=sys.stderr)
        return 2
    out_dir = args.out if args.out is not None else args.evidence.parent
    path = build_report(evidence, out_dir, benchmarks=benchmarks, previous=previous,
                        previous_benchmarks=previous_benchmarks, environments=environments)
    print(f"report written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
