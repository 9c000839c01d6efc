"""Build the HTML evidence report from the stored evidence (and, if given, the benchmarks).

One renderer serves both the end of ``pytest claims/`` and the standalone command
``python -m reports build``: both hand it the same evidence dict (``fixtures/evidence.py``,
schema 1), so a report can be rebuilt, or compared with last night's, without training.

The page is one self-contained file: CSS inline, figures inline SVG, no script, nothing fetched
from the network (reports are opened from CI artifacts and archives, often offline).

The page says what was found: findings (empirical claims) are counted by verdict (supported,
refuted, inconclusive, untestable), and apart from that, whether each came out as expected;
arithmetic checks (claim kind "arithmetic": they hold for any data) are listed in a group of
their own and not counted among the findings. ``verdict_table`` gives the README's verdict table
(``python -m reports table``). Evidence files written before the claim layer's issue-13 fields
(raw_verdict, deciding_part, ...) still render: ``with_defaults`` fills them in.

Claims of another family (``claim["family"]``: the ICS claims of issue 22) have their own scale,
runs and Holm family: they are kept out of the article's summary and tallies and get a section of
their own after the article's claims (``family_sections``; for the ICS family, with the papers'
figures redrawn by ``reports/ics.py``). An evidence file without them renders as before.
"""

from __future__ import annotations

import gzip
import json
import math
import os
import textwrap
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from fixtures.claims.claim import ARTICLE_FAMILY
from fixtures.claims.conjunction import PATH_SEPARATOR
from fixtures.claims.margins import LEARNT_ACCURACY
from fixtures.claims.outcomes import pin_held
from fixtures.training.models import ModelConfig
from reports import figures, ics
from reports.compare import Comparison, benchmark_claim, compare
from reports.directions import find_part
from reports.formatting import (DECISION_LEVEL_NOTE, FILTERS, decision_interval, has_decision_interval, shown_interval,
                                signed)
from reports.matrix import variant_matrix
from reports.metrics import (accuracy_difference_error, config_label, final_test_accuracy, final_train_loss,
                             mean_test_accuracy, mean_train_loss, train_seconds)

SCHEMA = 1
VERDICTS = ("supported", "refuted", "inconclusive", "untestable")
ARITHMETIC_TITLE = "Arithmetic checks (hold for any data; checked, not findings)"

FAMILY_TITLES = {ics.FAMILY: "Internal covariate shift: the papers' claims (Ioffe & Szegedy; Santurkar et al.)"}

# Claims whose evidence is the layer outputs (extras.layers), not the training curves.
LAYER_OUTPUT_CLAIMS = {"L1"}

TEMPLATES = Path(__file__).parent / "templates"


class EvidenceError(ValueError):
    """The file given is not evidence this report can read; the message is one line for the user."""


def load_evidence(path: Path | str) -> tuple[dict, list[dict] | None]:
    """Read an evidence.json, or a pytest-benchmark JSON with the evidence under ``"bnclaims"``;
    either gzipped when its name ends in ``.gz`` (the records kept in reports/records/).

    Returns (evidence, benchmarks): benchmarks is the benchmark JSON's ``benchmarks`` list, or
    None for a plain evidence file. Raises EvidenceError for a missing, unreadable or foreign file.
    """
    path = Path(path)
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        data = json.loads(raw.decode("utf-8"))
    except FileNotFoundError:
        raise EvidenceError(f"{path}: no such file") from None
    except (OSError, EOFError, UnicodeDecodeError) as error:  # gzip: BadGzipFile is an OSError, a cut file EOFError
        raise EvidenceError(f"{path}: cannot read: {error}") from None
    except json.JSONDecodeError as error:
        raise EvidenceError(f"{path}: not valid JSON ({error.msg} at line {error.lineno})") from None
    if not isinstance(data, dict):
        raise EvidenceError(f"{path}: not a bn-claims evidence file (a JSON object was expected)")
    benchmarks = None
    if "bnclaims" in data:
        evidence, benchmarks = data["bnclaims"], data.get("benchmarks", [])
    elif "outcomes" in data:
        evidence = data
    elif "benchmarks" in data:
        raise EvidenceError(f"{path}: a pytest-benchmark file without bn-claims evidence (no \"bnclaims\" key)")
    else:
        raise EvidenceError(f"{path}: not a bn-claims evidence file (no \"outcomes\" or \"bnclaims\" key)")
    _evidence_iv(evidence, path)
    return evidence, benchmarks


def _evidence_iv(evidence, path: Path) -> None:
    if not isinstance(evidence, dict):
        raise EvidenceError(f"{path}: the evidence is not a JSON object")
    if evidence.get("schema") != SCHEMA:
        raise EvidenceError(f"{path}: evidence schema {evidence.get('schema')!r}; this report reads schema {SCHEMA}")
    missing = [key for key in ("environment", "settings", "outcomes", "runs") if key not in evidence]
    if missing:
        raise EvidenceError(f"{path}: evidence lacks {', '.join(missing)}")


def with_defaults(outcome: dict) -> dict:
    """The outcome with every field the report reads, filled in for an evidence file written before
    issue 13 (no raw_verdict, decisions, deciding_part, ...): its verdict was at the claim's own
    alpha, and its headline (first) part stands in for the deciding one."""
    summary = outcome["summary"]
    filled = {
        "raw_verdict": outcome["verdict"],
        "decisions": "per-claim",
        "family_verdict": "",
        "adjusted_pvalue": None,
        "adjusted_refutation_pvalue": None,
        "unit": "seeds",
        "untestable": "",
        "pin_reach": "",
        "deciding_part": {"name": headline_name(summary), "difference": summary.get("difference"),
                          "ci": summary.get("confidence_interval")},
        "tightest": {},
        "finding_changed": "",
        "look": 1,
        "looks": 1,
        "design": "",
        **outcome,
    }
    filled["claim"] = {"kind": "empirical", "must_learn": [], "validity": "", **outcome["claim"]}
    return filled


def as_expected(outcome: dict) -> bool:
    """The claim came out as declared for this scale (else its test failed): the expected verdict
    (or one the pinned family could still have given: ``pin_held``), and, for a pinned
    expectation, still the same finding."""
    return pin_held(outcome)


def is_arithmetic(outcome: dict) -> bool:
    """An arithmetic check (D5, D6): holds for any data by arithmetic; checked, not a finding."""
    return outcome["claim"].get("kind", "empirical") == "arithmetic"


def stuck_arms(reason: str) -> str:
    """The arms an untestable reason names (``label accuracy, ...``), or the whole reason."""
    return reason.rpartition("): ")[2]


def sampling_error(name: str, part: dict | None, test_size) -> float | None:
    """For an accuracy effect (a part named "... accuracy ..." with both means), the upper bound of
    its test-set sampling error (``metrics.accuracy_difference_error``); else None."""
    if part is None or "accuracy" not in name or "mean_a" not in part or "mean_b" not in part:
        return None
    return accuracy_difference_error(part["mean_a"], part["mean_b"], test_size)


def leaf_parts(summary: dict, prefix: str = "", separator: str = " \u203a ") -> list[tuple[str, dict]]:
    """The single tests inside an all_of summary (nested at any depth), named by their path
    (``separator`` between levels: the report's, or ``PATH_SEPARATOR`` as outcomes name parts)."""
    if summary.get("test") != "all_of":
        return [(prefix, summary)]
    leaves = []
    for name, part in summary["parts"]:
        leaves += leaf_parts(part, f"{prefix}{separator}{name}" if prefix else name, separator)
    return leaves


def bound_by(outcome: dict) -> dict | None:
    """The part that bound a supported claim of several parts, when it is not the part shown
    (``{"name", "pvalue"}``, else None). Recorded with the outcome since 2026-12-07
    (``fixtures.claims.outcomes.binding_part``); for older evidence found from its summary the
    same way: support needs every part, so the part with the largest p bound it."""
    part = outcome["deciding_part"]
    summary = outcome["summary"]
    if "bound_by" in part or outcome["verdict"] != "supported" or summary.get("test") != "all_of":
        return part.get("bound_by")
    # Supported: every part's p is a number below alpha, so the largest needs no guard.
    name, leaf = max(leaf_parts(summary, separator=PATH_SEPARATOR), key=lambda item: item[1]["pvalue"])
    return {"name": name, "pvalue": leaf["pvalue"]} if name != part.get("name") else None


def headline_name(summary: dict) -> str:
    """Which part the summary's difference and CI belong to: an all_of reports its first part's."""
    names = []
    while summary.get("test") == "all_of" and summary.get("parts"):
        name, summary = summary["parts"][0]
        names.append(name)
    return " \u203a ".join(names)


def _runs_of(outcome: dict, runs: dict) -> dict[str, list[dict]]:
    """The outcome's configurations with their stored runs, in the claim's order."""
    found = {}
    for config in outcome["configs"]:
        # Another family's nets differ from each other in fields the short label leaves out
        # (widths, BN position, rate, noise), and the evidence keys runs by the full label; the
        # article's claims keep the short one, so their pages stay as they were.
        label = config_label(config) if ics.family_of(outcome) == ARTICLE_FAMILY else ModelConfig(**config).label
        if runs.get(label):
            found[label] = runs[label]
    return found


def _seed_rows(runs_by_label: dict[str, list[dict]]) -> list[dict]:
    return [
        {
            "label": label,
            "seed": run["seed"],
            "mean_train_loss": mean_train_loss(run),
            "final_train_loss": final_train_loss(run),
            "mean_test_accuracy": mean_test_accuracy(run),
            "final_test_accuracy": final_test_accuracy(run),
            "diverged_epoch": run.get("diverged_epoch"),
            "seconds": train_seconds(run),
        }
        for label, runs in runs_by_label.items()
        for run in runs
    ]


def _figures(outcome: dict, runs_by_label: dict[str, list[dict]], benchmarks) -> list[dict]:
    """The claim's figures: (title, caption, svg) dicts, the backing figure first.

    A recorded run's "epochs" are probe intervals and it has no training accuracy, so the epoch
    curves would mislabel it: its family's section draws its curves over steps instead."""
    claim_id = outcome["claim"]["id"]
    curves = runs_by_label if ics.family_of(outcome) == ARTICLE_FAMILY else {}
    leaves = leaf_parts(outcome["summary"])
    found = []
    if claim_id in LAYER_OUTPUT_CLAIMS and len(curves) == 2:
        (bn_label, with_bn), (plain_label, without_bn) = sorted(
            curves.items(), key=lambda item: -item[1][0]["config"]["bn_layers"])
        if all(run.get("extras", {}).get("layers") for run in with_bn + without_bn):
            found.append({
                "title": "Layer outputs at test time",
                "caption": f"Histogram of each hidden layer's test-set outputs (its activations, taken before any "
                           f"BN) after the last epoch, summed over {len(with_bn)} seeds: {bn_label} (BN) against "
                           f"{plain_label} (no BN). Shaded: the saturated ranges (below {figures.SATURATION[0]} or "
                           f"above {figures.SATURATION[1]}); saturated shares are means over seeds. The BN model "
                           f"has BN after its first {with_bn[0]['config']['bn_layers']} hidden layer(s): the "
                           f"layers after that are downstream of it.",
                "svg": figures.layer_histograms(with_bn, without_bn),
            })
    for benchmark in benchmarks or []:
        seconds = benchmark.get("extra_info", {}).get("epoch_seconds")
        if seconds and benchmark_claim(benchmark, [claim_id]):
            found.append({
                "title": "Epoch time per batch size",
                "caption": f"Wall seconds of one training epoch, one point per benchmark round "
                           f"({benchmark['name']}); lines join the round means.",
                "svg": figures.epoch_timings(seconds),
            })
    if curves:
        diverged = [f"{label} seed {run['seed']} at epoch {run['diverged_epoch']}"
                    for label, runs in curves.items() for run in runs if run.get("diverged_epoch")]
        found.append({
            "title": "Training curves",
            "caption": "Lines: mean over seeds; bands: 95% t-interval across seeds. "
                       + (f"Diverged (dropped from the mean from then on): {'; '.join(diverged)}."
                          if diverged else "No run diverged."),
            "svg": figures.loss_curves(curves),
        })
    equivalence = [(name, part) for name, part in leaves if part.get("test") == "equivalence"]
    if equivalence:
        found.append({
            "title": "Equivalence against the margin",
            "caption": "Dot: the difference; thick bar: the interval that decides the TOST (inside the "
                       "shaded \u00b1margin = equivalent); thin bar: the 95% CI.",
            "svg": figures.margin_intervals(equivalence),
        })
    levels = [(name, part) for name, part in leaves if part.get("levels") and part.get("level_means")]
    if levels:
        found.append({
            "title": "Means per level",
            "caption": "The mean over seeds at each level the trend or best-of test compares.",
            "svg": figures.level_means(levels),
        })
    return _safe(found)


def claim_view(outcome: dict, evidence: dict, benchmarks, scale: dict | None = None) -> dict:
    """Everything one claim's section shows; scale: its family's (default: the article's)."""
    outcome = with_defaults(outcome)
    runs_by_label = _runs_of(outcome, family_runs(evidence, ics.family_of(outcome)))
    summary = outcome["summary"]
    test_size = (scale or evidence["settings"]["scale"]).get("test_size")
    deciding = outcome["deciding_part"]
    parts = [{"name": name, "part": part, "tightest": outcome["tightest"].get(name),
              "sampling_error": sampling_error(name, part, test_size)}
             for name, part in leaf_parts(summary)]
    return {
        "outcome": outcome,
        "claim": outcome["claim"],
        "summary": summary,
        "as_expected": as_expected(outcome),
        "arithmetic": is_arithmetic(outcome),
        "stuck": stuck_arms(outcome["untestable"]),
        "deciding": deciding,
        "bound_by": bound_by(outcome),
        "decision_interval": decision_interval(deciding) if has_decision_interval(deciding) else "",
        "shown_interval": shown_interval(deciding),
        "deciding_error": sampling_error(deciding["name"], find_part(summary, deciding["name"]), test_size),
        "parts": parts,
        "seed_rows": _seed_rows(runs_by_label),
        "figures": _figures(outcome, runs_by_label, benchmarks),
    }


def tally(views: list[dict]) -> dict:
    """Counts by verdict (every verdict, zeros too) and how many came out as expected."""
    return {
        "n": len(views),
        "verdicts": {verdict: sum(view["outcome"]["verdict"] == verdict for view in views) for verdict in VERDICTS},
        "as_expected": sum(view["as_expected"] for view in views),
        "not_as_expected": [view["claim"]["id"] for view in views if not view["as_expected"]],
    }


def family_sections(outcomes: list[dict], evidence: dict, benchmarks) -> list[dict]:
    """One section per claim family other than the article's, in order of first appearance: its
    scale (``settings["families"]``), its claims as one summary group (its own Holm family) and, for
    the ICS family, the papers' figures redrawn (``reports/ics.py``)."""
    sections = []
    for family in dict.fromkeys(ics.family_of(o) for o in outcomes):
        if family == ARTICLE_FAMILY:
            continue
        own = [o for o in outcomes if ics.family_of(o) == family]
        settings = evidence["settings"].get("families", {}).get(family) or {
            "scale": evidence["settings"]["scale"], "scale_label": evidence["settings"]["scale_label"]}
        views = [claim_view(o, evidence, benchmarks, settings["scale"]) for o in own]
        sections.append({
            "id": family,
            "title": FAMILY_TITLES.get(family, f"The {family} family's claims"),
            "scale": settings["scale"],
            "scale_label": settings["scale_label"],
            "group": {"id": family, "title": "Verdicts", "views": views, "tally": tally(views), "holm": True},
            "rules": sorted({view["outcome"]["decisions"] for view in views}),
            "figures": _safe(ics.figures(own, family_runs(evidence, family)) if family == ics.FAMILY else []),
        })
    return sections


def family_runs(evidence: dict, family: str) -> dict[str, list[dict]]:
    """The runs of one claim family by label: the article's under ``runs``, another family's
    under ``family_runs`` (labels may repeat across families, budgets differ); evidence written
    before the families were kept apart has every run under ``runs``."""
    if family == ARTICLE_FAMILY:
        return evidence["runs"]
    return evidence.get("family_runs", {}).get(family, evidence["runs"])


def _safe(found: list[dict]) -> list[dict]:
    """The figures with their SVG marked safe for the template (its autoescape would print it as text)."""
    for figure in found:
        figure["svg"] = Markup(figure["svg"])  # matplotlib's SVG, which escapes the labels in it
    return found


def training_cost(evidence: dict) -> dict:
    """Runs, epochs and wall seconds of the training behind the evidence, in all and per config."""
    per_config = []
    every = [(label, runs) for label, runs in sorted(evidence["runs"].items())]
    for family, by_label in sorted(evidence.get("family_runs", {}).items()):  # another budget: its own rows
        every += [(f"{label} ({family})", runs) for label, runs in sorted(by_label.items())]
    for label, runs in every:
        per_config.append({
            "label": label,
            "runs": len(runs),
            "epochs": sum(len(run["epoch_seconds"]) for run in runs),
            "seconds": sum(train_seconds(run) for run in runs),
        })
    return {
        "runs": sum(row["runs"] for row in per_config),
        "configs": len(per_config),
        "epochs": sum(row["epochs"] for row in per_config),
        "seconds": sum(row["seconds"] for row in per_config),
        "per_config": per_config,
    }


def _benchmark_seconds(benchmarks) -> float | None:
    totals = [b.get("stats", {}).get("total") for b in benchmarks or []]
    totals = [t for t in totals if isinstance(t, (int, float)) and math.isfinite(t)]
    return sum(totals) if totals else None


def render(evidence: dict, *, benchmarks: list[dict] | None = None, previous: dict | None = None,
           previous_benchmarks: list[dict] | None = None, environments: dict | None = None) -> str:
    """The report page as one HTML string; ``environments`` (``reports.environments``' result,
    when this evidence is the baseline environment's) adds the claims across environments."""
    environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True,
                              undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    environment.filters.update(FILTERS)
    outcomes = sorted(evidence["outcomes"], key=lambda o: o["claim"]["id"])
    # Other families (the ICS claims) have their own scale, Holm and section: kept out of these.
    claims = [claim_view(outcome, evidence, benchmarks) for outcome in outcomes
              if ics.family_of(outcome) == ARTICLE_FAMILY]
    findings = [view for view in claims if not view["arithmetic"]]
    checks = [view for view in claims if view["arithmetic"]]
    comparison: Comparison | None = None
    if previous is not None:
        comparison = compare(evidence, previous, benchmarks=benchmarks,
                             previous_benchmarks=previous_benchmarks)
    return environment.get_template("report.html.j2").render(
        environment_info=evidence["environment"],
        settings=evidence["settings"],
        groups=[group for group in (
            {"id": "findings", "title": "Findings", "views": findings, "tally": tally(findings), "holm": True},
            {"id": "arithmetic", "title": ARITHMETIC_TITLE, "views": checks, "tally": tally(checks), "holm": False},
        ) if group["views"]],
        rules=sorted({view["outcome"]["decisions"] for view in claims}),
        learnt_accuracy=LEARNT_ACCURACY,
        comparison=comparison,
        cost=training_cost(evidence),
        benchmark_seconds=_benchmark_seconds(benchmarks),
        matrix=variant_matrix(evidence),
        decision_level_note=DECISION_LEVEL_NOTE,
        drift=evidence.get("drift"),  # against --baseline, when the session had one
        families=family_sections(outcomes, evidence, benchmarks),
        environments=environments,
    )


def build_report(evidence: dict, out_dir: Path, *, benchmarks: list[dict] | None = None,
                 previous: dict | None = None, previous_benchmarks: list[dict] | None = None,
                 environments: dict | None = None) -> Path:
    """Write ``out_dir/index.html`` (atomically: a reader never sees half a page) and return its path.

    evidence: the suite's evidence dict (schema 1); benchmarks: pytest-benchmark's ``benchmarks``
    list, for the timing figures; previous (and previous_benchmarks): an earlier run's evidence,
    for the "changes since" section; environments: see ``render``.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, part in (evidence.get("variants") or {}).items():  # one page per variant, linked from the matrix
        build_report({**{k: v for k, v in evidence.items() if k != "variants"}, **part},
                     out_dir / "variants" / name, benchmarks=benchmarks)
    page = render(evidence, benchmarks=benchmarks, previous=previous, previous_benchmarks=previous_benchmarks,
                  environments=environments)
    path = out_dir / "index.html"
    temporary = path.with_suffix(".tmp")
    temporary.write_text(page, encoding="utf-8")
    os.replace(temporary, path)
    return path


def verdict_cell(outcome: dict) -> str:
    """One claim's verdict as the README's table gives it: the verdict, with the deciding part's
    effect and its interval at the level the verdict used (a 95% CI, labelled so, in older
    evidence) when refuted, or the arms that did not learn when untestable; under a sequential
    design, the seeds it used."""
    outcome = with_defaults(outcome)
    verdict = outcome["verdict"]
    seeds = f" ({outcome['n_seeds']} seeds)" if outcome["looks"] > 1 else ""
    if verdict == "refuted":
        part = outcome["deciding_part"]
        name = f"{part['name']} " if part["name"] else ""
        return f"**refuted**{seeds}: {name}{signed(part['difference'])} {decision_interval(part)}"
    if verdict == "untestable":
        return f"untestable{seeds}: {stuck_arms(outcome['untestable'])}"
    return verdict + seeds


def design(scale: dict) -> str:
    """``4 seeds`` for a fixed design, ``3-12 seeds in rounds`` for a sequential one."""
    seeds, looks = len(scale["seeds"]), scale.get("looks") or []
    return f"{looks[0]}-{seeds} seeds in rounds" if looks else f"{seeds} seeds"


def verdict_table(evidences: list[dict], family: str = ARTICLE_FAMILY) -> str:
    """A Markdown table of one claim family's verdicts (the article's by default), one row per
    claim and one column per evidence (headed by the family's scale and seeds), as in the README;
    arithmetic checks are marked so."""
    scales = [e["settings"] if family == ARTICLE_FAMILY else e["settings"].get("families", {}).get(family, e["settings"])
              for e in evidences]
    columns = [f"{s['scale_label']} ({design(s['scale'])})" for s in scales]
    by_id = [{o["claim"]["id"]: o for o in e["outcomes"] if ics.family_of(o) == family} for e in evidences]
    lines = ["| " + " | ".join(["id", "claim (short)", *columns]) + " |", "|" + " --- |" * (len(columns) + 2)]
    for claim_id in sorted(set().union(*by_id)):
        outcome = next(outcomes[claim_id] for outcomes in by_id if claim_id in outcomes)
        label = f"{claim_id} (arithmetic)" if is_arithmetic(outcome) else claim_id
        cells = [label, textwrap.shorten(outcome["claim"]["english"], 60, placeholder="\u2026"),
                 *(verdict_cell(outcomes[claim_id]) if claim_id in outcomes else "\u2013" for outcomes in by_id)]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    if any(shows_decision_level(o) for outcomes in by_id for o in outcomes.values()):
        lines += ["", DECISION_LEVEL_NOTE]  # said once, under the table, where a cell needs it
    return "\n".join(lines) + "\n"


def shows_decision_level(outcome: dict) -> bool:
    """Whether the verdict table shows this outcome's interval at its decision level."""
    return outcome["verdict"] == "refuted" and has_decision_interval(outcome.get("deciding_part") or {})
