"""Build the HTML evidence report from the stored evidence (and, if given, the benchmarks).

One renderer serves both the end of ``pytest claims/`` and the standalone command
``python -m reports build``: both hand it the same evidence dict (``fixtures/evidence.py``,
schema 1), so a report can be rebuilt, or compared with last night's, without training.

The page is one self-contained file: CSS inline, figures inline SVG, no script, nothing fetched
from the network (reports are opened from CI artifacts and archives, often offline).
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from reports import figures
from reports.compare import Comparison, benchmark_claim, compare
from reports.formatting import FILTERS
from reports.metrics import (config_label, final_test_accuracy, final_train_loss, mean_test_accuracy,
                             mean_train_loss, train_seconds)

SCHEMA = 1
VERDICTS = ("supported", "refuted", "inconclusive", "expected-fail")

# Claims whose evidence is the layer outputs (extras.layers), not the training curves.
LAYER_OUTPUT_CLAIMS = {"L1"}

TEMPLATES = Path(__file__).parent / "templates"


class EvidenceError(ValueError):
    """The file given is not evidence this report can read; the message is one line for the user."""


def load_evidence(path: Path | str) -> tuple[dict, list[dict] | None]:
    """Read an evidence.json, or a pytest-benchmark JSON with the evidence under ``"bnclaims"``.

    Returns (evidence, benchmarks): benchmarks is the benchmark JSON's ``benchmarks`` list, or
    None for a plain evidence file. Raises EvidenceError for a missing, unreadable or foreign file.
    """
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EvidenceError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
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


def badge(outcome: dict) -> str:
    """The verdict as the summary shows it: a claim expected not to hold here that did not is an
    "expected-fail" (a strict xfail in the pytest run), not a surprise."""
    if outcome["expected"] != "supported" and outcome["verdict"] == outcome["expected"]:
        return "expected-fail"
    return outcome["verdict"]


def failed(outcome: dict) -> bool:
    """The claim's test failed: its verdict is not the one declared for this scale."""
    return outcome["verdict"] != outcome["expected"]


def leaf_parts(summary: dict, prefix: str = "") -> list[tuple[str, dict]]:
    """The single tests inside an all_of summary (nested at any depth), named by their path."""
    if summary.get("test") != "all_of":
        return [(prefix, summary)]
    leaves = []
    for name, part in summary["parts"]:
        leaves += leaf_parts(part, f"{prefix} \u203a {name}" if prefix else name)
    return leaves


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
        label = config_label(config)
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
    """The claim's figures: (title, caption, svg) dicts, the backing figure first."""
    claim_id = outcome["claim"]["id"]
    leaves = leaf_parts(outcome["summary"])
    found = []
    if claim_id in LAYER_OUTPUT_CLAIMS and len(runs_by_label) == 2:
        (bn_label, with_bn), (plain_label, without_bn) = sorted(
            runs_by_label.items(), key=lambda item: -item[1][0]["config"]["bn_layers"])
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
    if runs_by_label:
        diverged = [f"{label} seed {run['seed']} at epoch {run['diverged_epoch']}"
                    for label, runs in runs_by_label.items() for run in runs if run.get("diverged_epoch")]
        found.append({
            "title": "Training curves",
            "caption": "Lines: mean over seeds; bands: 95% t-interval across seeds. "
                       + (f"Diverged (dropped from the mean from then on): {'; '.join(diverged)}."
                          if diverged else "No run diverged."),
            "svg": figures.loss_curves(runs_by_label),
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
    for figure in found:
        figure["svg"] = Markup(figure["svg"])  # matplotlib's SVG, which escapes the labels in it
    return found


def claim_view(outcome: dict, evidence: dict, benchmarks) -> dict:
    """Everything one claim's section shows."""
    runs_by_label = _runs_of(outcome, evidence["runs"])
    summary = outcome["summary"]
    return {
        "outcome": outcome,
        "claim": outcome["claim"],
        "summary": summary,
        "badge": badge(outcome),
        "failed": failed(outcome),
        "headline": headline_name(summary),
        "parts": leaf_parts(summary),
        "seed_rows": _seed_rows(runs_by_label),
        "figures": _figures(outcome, runs_by_label, benchmarks),
    }


def training_cost(evidence: dict) -> dict:
    """Runs, epochs and wall seconds of the training behind the evidence, in all and per config."""
    per_config = []
    for label, runs in sorted(evidence["runs"].items()):
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
           previous_benchmarks: list[dict] | None = None) -> str:
    """The report page as one HTML string."""
    environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True,
                              undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    environment.filters.update(FILTERS)
    outcomes = sorted(evidence["outcomes"], key=lambda o: o["claim"]["id"])
    claims = [claim_view(outcome, evidence, benchmarks) for outcome in outcomes]
    counts = {verdict: sum(view["badge"] == verdict for view in claims) for verdict in VERDICTS}
    comparison: Comparison | None = None
    if previous is not None:
        comparison = compare(evidence, previous, benchmarks=benchmarks,
                             previous_benchmarks=previous_benchmarks)
    return environment.get_template("report.html.j2").render(
        environment_info=evidence["environment"],
        settings=evidence["settings"],
        claims=claims,
        counts=counts,
        n_failed=sum(view["failed"] for view in claims),
        comparison=comparison,
        cost=training_cost(evidence),
        benchmark_seconds=_benchmark_seconds(benchmarks),
    )


def build_report(evidence: dict, out_dir: Path, *, benchmarks: list[dict] | None = None,
                 previous: dict | None = None, previous_benchmarks: list[dict] | None = None) -> Path:
    """Write ``out_dir/index.html`` (atomically: a reader never sees half a page) and return its path.

    evidence: the suite's evidence dict (schema 1); benchmarks: pytest-benchmark's ``benchmarks``
    list, for the timing figures; previous (and previous_benchmarks): an earlier run's evidence,
    for the "changes since" section.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    page = render(evidence, benchmarks=benchmarks, previous=previous, previous_benchmarks=previous_benchmarks)
    path = out_dir / "index.html"
    temporary = path.with_suffix(".tmp")
    temporary.write_text(page, encoding="utf-8")
    os.replace(temporary, path)
    return path
