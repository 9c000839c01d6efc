"""The claims across environments: ``python -m reports.environments [ENV ...] [-- pytest args]``.

An environment is a named set of (Keras backend, package versions) declared in tox.ini:
``pinned`` (requirements.txt on TensorFlow, the baseline), ``latest`` (the newest tensorflow-cpu
and keras), ``nightly`` (tf-nightly and keras-nightly), ``jax`` and ``torch`` (Keras on those
backends, pinned). Each is built from the package index by tox and runs ``pytest claims/`` into
``<dir>/<date>/<env>/`` (its own evidence.json and report). Then every other environment is
compared with the baseline's evidence:

- the **environment matrix** (claim x environment): the verdict and the deciding part's effect,
  and what changed against the baseline (another verdict, another deciding part, or an effect
  outside the band around the baseline's 95% CI, ``band_around``, as a pin is checked);
- the **drift table** per environment (``reports.drift``): which configurations' per-seed numbers
  moved beyond float noise (paired by seed, Holm over the table);
- a **confirmation** of each environment's drift flags (``reports.confirm``): the claims that read a
  flagged configuration run again in that environment and in the baseline on fresh seeds, and a
  flag counts only if the same test holds there too (``--confirm-seeds``, default 6; 0: none).

Written to ``<dir>/<date>/environments.json``, ``environments.md`` and ``index.html``; the
baseline's own claims report (``<dir>/<date>/pinned/index.html``) is rebuilt with the same matrix
and drift tables as a section of it.

Exit status: 0 when nothing changed; 1 when a finding changed against the baseline, a
configuration drifted (and the drift held on fresh seeds, or could not be tested again), or a
claim came out other than its pinned expectation in some environment (``--judge`` narrows this: ``baseline`` leaves the pins out, for a scale that has
none; ``none`` only builds, runs and reports, as CI does at smoke); 3 when an environment could
not be built or run (the others still run and are reported; the failed one is named with its
last log line); 2 for a usage error.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

from fixtures.claims.claim import ARTICLE_FAMILY, band_around, family_of_claim
from fixtures.claims.outcomes import leaf_at, pin_held
from reports.build import EvidenceError, build_report, load_evidence
from reports.confirm import FRESH_SEEDS, confirm_flags, confirmation_plan
from reports.drift import DriftError, drift_table
from reports.formatting import signed
from reports.matrix import why

ENVIRONMENTS = ("pinned", "latest", "nightly", "jax", "torch")
BASELINE = "pinned"
VERSION_KEYS = ("keras", "tensorflow", "jax", "jaxlib", "jax_device", "torch", "numpy", "python")


@dataclass(frozen=True)
class EnvironmentRun:
    """One environment's ``tox -e NAME -- pytest args``: how it ended and where its evidence is."""

    name: str
    status: str  # "ok" (pytest exit 0), "claims" (exit 1: a claim not as expected), "failed",
    # or "earlier" (evidence an earlier run left in the same night's folder: ``with_earlier``)
    returncode: int
    seconds: float
    evidence: str | None  # path of its evidence.json, when the session wrote one
    problem: str = ""  # for "failed": the log's last line


def run_environment(name: str, out: Path, pytest_args: list[str], tox: list[str] | None) -> EnvironmentRun:
    """Build (or reuse) the tox environment and run the claims in it (with ``tox`` None: in
    this Python, for the pinned environment it already is); the log goes to
    ``out/NAME/log.txt`` and, line by line, to this terminal."""
    folder = out / name
    folder.mkdir(parents=True, exist_ok=True)
    evidence = folder / "evidence.json"
    evidence.unlink(missing_ok=True)  # a rerun must not report an older session's evidence
    if tox is None:
        command = [sys.executable, "-m", "pytest", "claims/", "--backend", "tensorflow",
                   f"--report-dir={folder}", *pytest_args]
    else:
        command = [*tox, "-e", name, "--", f"--report-dir={folder}", *pytest_args]
    began = time.perf_counter()
    last = ""
    with open(folder / "log.txt", "w") as log:
        try:
            process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        except OSError as exc:
            return EnvironmentRun(name, "failed", 127, 0.0, None, f"cannot start {command[0]}: {exc}")
        with process:
            for line in process.stdout:
                log.write(line)
                print(f"[{name}] {line}", end="", flush=True)
                last = line.strip() or last
        returncode = process.returncode
    seconds = time.perf_counter() - began
    if not evidence.exists():
        return EnvironmentRun(name, "failed", returncode, seconds, None, last or f"tox exited {returncode}")
    status = "ok" if returncode == 0 else "claims"
    return EnvironmentRun(name, status, returncode, seconds, str(evidence))


def changed_against(outcome: dict, base: dict | None, same_family: bool = True) -> str:
    """What changed in ``outcome`` against the baseline environment's outcome of the same claim
    ("" if nothing): the verdict, the deciding part, or the effect leaving the band around the
    baseline's 95% CI (the band a pin uses). An arithmetic check holds for any data; only its
    verdict is compared (D6's effect is seconds, which any other build changes).

    A verdict is decided under Holm over the session's empirical claims, so a session of fewer
    claims (``-k``) gives each a larger share of alpha and can decide what the baseline's whole
    family left open, on the same runs. Where the two sessions judged different families
    (``same_family`` False, see ``holm_families``), the raw verdicts (each claim at alpha alone) are
    compared instead, and the effect as always."""
    if base is None:
        return "not run in the baseline"
    if same_family and outcome["verdict"] != base["verdict"]:
        return f"{base['verdict']} -> {outcome['verdict']}"
    raw, base_raw = outcome.get("raw_verdict", outcome["verdict"]), base.get("raw_verdict", base["verdict"])
    if not same_family and raw != base_raw:
        return f"raw verdict {base_raw} -> {raw} (Holm families differ)"
    part, base_part = outcome.get("deciding_part") or {}, base.get("deciding_part") or {}
    if outcome["verdict"] == "untestable" or not base_part.get("ci"):
        return ""
    if outcome["claim"].get("kind") == "arithmetic":  # D6's seconds differ with every build's speed
        return ""
    difference = part.get("difference")
    if part.get("name") != base_part.get("name"):
        leaf = refutes_alone(outcome, base_part.get("name", ""))
        if leaf is None:
            return f"decided by {part.get('name')!r}, in the baseline by {base_part.get('name')!r}"
        difference = leaf["difference"]
    low, high = band_around(*base_part["ci"])
    if not low <= difference <= high:
        return (f"effect {signed(difference)} outside [{signed(low)}, {signed(high)}] "
                f"(baseline {signed(base_part['difference'])})")
    return ""


def refutes_alone(outcome: dict, name: str) -> dict | None:
    """The part ``name`` of a refuted ``outcome``'s result (a summary dict), if it would have
    refuted the claim on its own, else None: as for a pin (``fixtures.claims.outcomes.finding_change``),
    two parts that each refute far past alpha decide in an order that float noise can swap. The
    verdict's decision interval is at level 1 - 2 alpha raw / judged of its deciding part, so a
    part refutes alone when its raw refutation p is at most (1 - that level) / 2."""
    level = (outcome.get("deciding_part") or {}).get("decision_level")
    if outcome["verdict"] != "refuted" or level is None:
        return None
    leaf = leaf_at(outcome.get("summary") or {}, name) or {}
    p = leaf.get("refutation_pvalue")
    return leaf if p is not None and p <= (1 - level) / 2 else None


def holm_families(evidence: dict) -> dict[str, frozenset[str]]:
    """Per claim family, the ids of the empirical claims a session judged: the Holm family their
    verdicts were decided in (arithmetic checks are decided alone; the ICS claims are a family
    of their own)."""
    ids: dict[str, set[str]] = {}
    for o in evidence["outcomes"]:
        if o["claim"].get("kind") == "empirical":
            ids.setdefault(family_of_claim(o["claim"]), set()).add(o["claim"]["id"])
    return {family: frozenset(members) for family, members in ids.items()}


def environment_matrix(evidences: dict[str, dict], baseline: str = BASELINE) -> dict:
    """{"environments": [...], "versions": {env: {...}}, "same_family": {env: judged in the
    baseline's Holm family of the article's claims?}, "families": {env: that family's ids},
    "rows": [{"id", "cells": {env: cell}}]}."""
    outcomes = {env: {o["claim"]["id"]: o for o in ev["outcomes"]} for env, ev in evidences.items()}
    base = outcomes.get(baseline, {})
    families = {env: holm_families(ev) for env, ev in evidences.items()}

    def same_family(env: str, family: str) -> bool:
        return baseline not in families or families[env].get(family) == families[baseline].get(family)

    rows = []
    for claim_id in sorted(set().union(*outcomes.values())):
        cells = {}
        for env, found in outcomes.items():
            o = found.get(claim_id)
            cells[env] = None if o is None else {
                "verdict": o["verdict"],
                "effect": why(o),
                "changed": "" if env == baseline else changed_against(o, base.get(claim_id), same_family(env, family_of_claim(o["claim"]))),
                "pin": o.get("finding_changed") or ("" if pin_held(o) else f"expected {o['expected']}"),
            }
        rows.append({"id": claim_id, "cells": cells})
    versions = {env: {k: v for k, v in ev["environment"]["versions"].items() if k in VERSION_KEYS}
                for env, ev in evidences.items()}
    return {"environments": list(evidences), "baseline": baseline, "versions": versions,
            "same_family": {env: same_family(env, ARTICLE_FAMILY) for env in evidences},
            "families": {env: sorted(families[env].get(ARTICLE_FAMILY, ())) for env in evidences},
            "rows": rows}


def matrix_markdown(matrix: dict) -> str:
    envs = matrix["environments"]
    header = [f"{env} ({', '.join(f'{k} {v}' for k, v in matrix['versions'][env].items() if k != 'python')})"
              for env in envs]
    lines = ["| id | " + " | ".join(header) + " |", "|" + " --- |" * (len(envs) + 1)]
    for row in matrix["rows"]:
        cells = []
        for env in envs:
            c = row["cells"][env]
            if c is None:
                cells.append("\u2013")
                continue
            text = c["verdict"] if c["verdict"] == "supported" else f"{c['verdict']}: {c['effect']}"
            if c["changed"]:
                text += f" **changed: {c['changed']}**"
            cells.append(text)
        lines.append("| " + " | ".join([row["id"], *cells]) + " |")
    apart = [env for env in envs if not matrix.get("same_family", {}).get(env, True)]
    if apart:
        lines.append("")
        lines.append(f"Judged in another Holm family than {matrix['baseline']} "
                     f"({len(matrix['families'][matrix['baseline']])} empirical claims): "
                     + ", ".join(f"{env} ({len(matrix['families'][env])})" for env in apart)
                     + "; there raw verdicts are compared (each claim at alpha alone), and effects as always.")
    return "\n".join(lines) + "\n"


def compare(runs: list[EnvironmentRun], baseline: str = BASELINE) -> dict:
    """The matrix and the drift tables of every environment that wrote evidence."""
    evidences = {run.name: load_evidence(Path(run.evidence))[0] for run in runs if run.evidence}
    result = {"runs": [asdict(run) for run in runs], "baseline": baseline, "matrix": None, "drift": {},
              "drift_errors": {}}
    if not evidences:
        return result
    result["matrix"] = environment_matrix(evidences, baseline if baseline in evidences else next(iter(evidences)))
    for env, evidence in evidences.items():
        if env == baseline or baseline not in evidences:
            continue
        try:
            table = drift_table(evidence, evidences[baseline])
        except DriftError as error:
            result["drift_errors"][env] = str(error)
            continue
        result["drift"][env] = {"markdown": table.markdown(), "summary": table.summary(),
                                "drifted": [f"{row.label} {row.metric}" for row in table.drifted]}
    return result


def confirm_drift(result: dict, out: Path, pytest_args: list[str], tox: list[str] | None,
                  baseline_tox: list[str] | None, fresh: int = FRESH_SEEDS, rerun: set[str] = frozenset()) -> None:
    """Put each environment's drift flags to a second test on fresh seeds (``reports.confirm``),
    in ``out/confirm/ENV/``: for the environments in ``rerun`` the claims that read a flagged
    configuration run again there and in the baseline (``tox``, ``baseline_tox``: None runs in this
    Python); for the others an earlier confirmation's evidence is judged again if the folder
    has it. Adds ``confirmation`` to ``result["drift"][env]``; its ``confirmed`` flags are the
    ones that count (``exit_status``)."""
    evidences = {run["name"]: run["evidence"] for run in result["runs"] if run["evidence"]}
    base = None
    for env, drift in result["drift"].items():
        if not drift["drifted"]:
            continue
        base = base or load_evidence(Path(evidences[BASELINE]))[0]
        night = load_evidence(Path(evidences[env]))[0]
        table = drift_table(night, base)
        plan = confirmation_plan(table, night, base, fresh)
        folder = out / "confirm" / env
        entry = {"claims": list(plan.claims), "seeds": plan.seeds, "seconds": 0.0, "problem": ""}
        if not plan.claims:
            _flags_stand(drift, entry, "no claim of the night reads a flagged configuration")
            continue
        if env in rerun:
            args = plan.pytest_args(pytest_args)
            print(f"environments: confirming {env}'s {len(table.drifted)} drift flag(s) on fresh seeds: "
                  f"pytest claims/ {' '.join(args)} in {env} and {BASELINE}", flush=True)
            ran = [run_environment(env, folder, args, tox), run_environment(BASELINE, folder, args, baseline_tox)]
            entry["seconds"] = sum(run.seconds for run in ran)
            entry["problem"] = "; ".join(f"{run.name}: {run.problem}" for run in ran if run.status == "failed")
        paths = [folder / name / "evidence.json" for name in (env, BASELINE)]
        if not all(path.exists() for path in paths):
            if env in rerun or folder.exists():
                _flags_stand(drift, entry, entry["problem"] or "no confirmation evidence")
            continue
        check = confirm_flags(table.drifted, *(load_evidence(path)[0] for path in paths), plan.fresh_after, fresh)
        entry.update(summary=check.summary(), markdown=check.markdown(),
                     confirmed=[f"{row.flag.label} {row.flag.metric}" for row in check.confirmed])
        drift["confirmation"] = entry


def _flags_stand(drift: dict, entry: dict, problem: str) -> None:
    """A confirmation that could not test the flags again: they all count."""
    drift["confirmation"] = {**entry, "problem": problem, "confirmed": drift["drifted"],
                             "summary": "confirmation: not run, the flags stand", "markdown": ""}


JUDGE = ("all", "baseline", "none")  # what, besides a failed environment, fails the run


def exit_status(result: dict, judge: str = "all", rebuilt: bool = False) -> int:
    """0, 1 or 3 (see the module docstring) over the environments run now; an earlier run's
    were judged by its own command, unless ``rebuilt`` (``--rebuild``) judges them all again."""
    if any(run["status"] == "failed" for run in result["runs"]):
        return 3
    if judge == "none":
        return 0
    now = {run["name"] for run in result["runs"] if rebuilt or run["status"] != "earlier"}
    cells = [(env, c) for row in (result["matrix"] or {}).get("rows", ()) for env, c in row["cells"].items()
             if c and env in now]
    changed = any(c["changed"] for _, c in cells)
    drifted = (any(counted_drift(d) for env, d in result["drift"].items() if env in now)
               or any(env in now for env in result["drift_errors"]))
    pins = judge == "all" and (any(run["status"] == "claims" for run in result["runs"])
                               or (rebuilt and any(c["pin"] for _, c in cells)))
    return 1 if changed or drifted or pins else 0


def counted_drift(drift: dict) -> list[str]:
    """The flags that fail a night: those confirmed on fresh seeds where a confirmation ran,
    else every flag."""
    confirmation = drift.get("confirmation")
    return drift["drifted"] if confirmation is None else confirmation["confirmed"]


def markdown(result: dict) -> str:
    lines = ["# The claims across environments", ""]
    for run in result["runs"]:
        if run["status"] == "earlier":
            lines.append(f"- **{run['name']}**: from an earlier run ({run['evidence']})")
            continue
        lines.append(f"- **{run['name']}**: {run['status']} (exit {run['returncode']}, {run['seconds']:.0f} s)"
                     + (f": {run['problem']}" if run["problem"] else ""))
    if result["matrix"]:
        lines += ["", f"## Environment matrix (changes against {result['matrix']['baseline']})", "",
                  matrix_markdown(result["matrix"])]
    for env, drift in result["drift"].items():
        lines += [f"## Drift: {env} against {BASELINE}", "", drift["summary"], "", drift["markdown"]]
        confirmation = drift.get("confirmation")
        if confirmation:
            lines += [f"### Confirmation on fresh seeds ({', '.join(confirmation['claims'])} on "
                      f"{confirmation['seeds']} seeds, {confirmation['seconds']:.0f} s)", "",
                      confirmation["summary"] + (f"; {confirmation['problem']}" if confirmation["problem"] else ""),
                      "", confirmation["markdown"]]
    for env, error in result["drift_errors"].items():
        lines += [f"## Drift: {env}", "", f"not compared: {error}", ""]
    return "\n".join(lines) + "\n"


def write_outputs(result: dict, out: Path) -> Path:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    out.mkdir(parents=True, exist_ok=True)
    (out / "environments.json").write_text(json.dumps(result, indent=1, sort_keys=True))
    text = markdown(result)
    (out / "environments.md").write_text(text)
    templates = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                            autoescape=select_autoescape(["html", "j2"]))
    page = templates.get_template("environments.html.j2").render(result=result, baseline=BASELINE)
    (out / "index.html").write_text(page)
    with_section(result, out / result["baseline"])
    return out / "index.html"


def with_section(result: dict, folder: Path) -> None:
    """Rebuild the baseline environment's claims report with the claims across environments
    as a section of it, so the reader of the baseline's report sees how far each verdict travels."""
    if not (folder / "evidence.json").exists():
        return
    evidence, _ = load_evidence(folder / "evidence.json")
    benchmarks = None
    if (folder / "benchmarks.json").exists():  # the D6 timing figure
        benchmarks = json.loads((folder / "benchmarks.json").read_text()).get("benchmarks")
    build_report(evidence, folder, benchmarks=benchmarks, environments=result)


def with_earlier(runs: list[EnvironmentRun], out: Path) -> list[EnvironmentRun]:
    """``runs`` and, for every environment not run now, the evidence an earlier run left in the
    night's folder (status "earlier"), in the order of ENVIRONMENTS: a night whose environments
    run in several commands (the baseline first, the slow backends later) still gets one matrix."""
    now = {run.name for run in runs}
    earlier = [EnvironmentRun(name, "earlier", 0, 0.0, str(out / name / "evidence.json"))
               for name in ENVIRONMENTS if name not in now and (out / name / "evidence.json").exists()]
    return sorted(runs + earlier, key=lambda run: ENVIRONMENTS.index(run.name))


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m reports.environments", allow_abbrev=False,
                                     description=__doc__.splitlines()[0])
    parser.add_argument("environments", nargs="*", metavar="ENV",
                        help=f"environments to run (default all: {', '.join(ENVIRONMENTS)})")
    parser.add_argument("--dir", type=Path, default=Path("reports/environments"),
                        help="where the dated results go (default reports/environments)")
    parser.add_argument("--date", default=date.today().isoformat(), help="the night's folder name")
    parser.add_argument("--judge", choices=JUDGE, default="all",
                        help="what fails the run besides an environment that cannot be built or run: all "
                             "(default: pins, changes against the baseline, drift), baseline (changes and "
                             "drift only, for a scale with no pins), none (only report: CI at smoke)")
    parser.add_argument("--tox", default=f"{sys.executable} -m tox",
                        help="the tox command (default: this Python's tox)")
    parser.add_argument("--pinned-here", action="store_true",
                        help="run the pinned environment in this Python instead of a tox env of its own "
                             "(where requirements.txt is installed already, as in .ci/run)")
    parser.add_argument("--confirm-seeds", type=int, default=FRESH_SEEDS, metavar="N",
                        help=f"test each drift flag again on N fresh seeds (default {FRESH_SEEDS}) and fail "
                             "only on the confirmed ones; 0: every flag fails the night")
    parser.add_argument("--rebuild", action="store_true",
                        help="run nothing: compare and judge again the evidence already in the night's "
                             "folder (after a change to the comparison itself)")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    pytest_args = argv[argv.index("--") + 1:] if "--" in argv else []
    args = parser().parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    unknown = [name for name in args.environments if name not in ENVIRONMENTS]
    if unknown:
        print(f"environments: unknown environment {unknown[0]!r}; choose from {', '.join(ENVIRONMENTS)}",
              file=sys.stderr)
        return 2
    names = list(dict.fromkeys(args.environments or ENVIRONMENTS))
    if BASELINE in names:  # the baseline first: the others are compared with it
        names.remove(BASELINE)
        names.insert(0, BASELINE)
    out = args.dir / args.date
    if args.rebuild and (args.environments or pytest_args):
        print("environments: --rebuild runs nothing: give it no ENV and no pytest arguments", file=sys.stderr)
        return 2
    if args.confirm_seeds == 1 or args.confirm_seeds < 0:
        print(f"environments: --confirm-seeds takes 0 (no confirmation) or at least 2, got {args.confirm_seeds}",
              file=sys.stderr)
        return 2
    if args.rebuild and not out.is_dir():
        print(f"environments: --rebuild: no night's folder {out}", file=sys.stderr)
        return 2
    runs = [] if args.rebuild else [
        run_environment(name, out, pytest_args, None if name == BASELINE and args.pinned_here else args.tox.split())
        for name in names]
    runs = with_earlier(runs, out)
    for run in runs:
        if run.status == "failed":
            print(f"environments: {run.name} could not be built or run (exit {run.returncode}): {run.problem}",
                  file=sys.stderr)
    try:
        result = compare(runs)
    except EvidenceError as error:
        print(f"environments: {error}", file=sys.stderr)
        return 3
    if args.confirm_seeds and args.judge != "none":  # none: nothing is judged, so nothing to confirm
        tox = args.tox.split()
        rerun = set() if args.rebuild else {run.name for run in runs if run.status != "earlier"}
        confirm_drift(result, out, pytest_args, tox, None if args.pinned_here else tox, args.confirm_seeds, rerun)
    page = write_outputs(result, out)
    print(markdown(result))
    status = exit_status(result, args.judge, rebuilt=args.rebuild)
    print(f"environments: report {page}; exit {status}")
    return status


if __name__ == "__main__":
    sys.exit(main())
