"""The claim x variant matrix: how far each verdict reaches beyond the article's own setup.

Built from an evidence file with a ``variants`` section (``pytest claims/ --variant all``): per
cell the verdict and the deciding part's effect with its 95% CI; per claim a one-line summary
of how many variants give the article's verdict, and, for each that flips, the numbers that
decided it there (the deciding part's effect, or the arms that did not learn).
"""

from __future__ import annotations

from reports.formatting import interval, signed

HEADLINE = "article"


def effect(outcome: dict) -> str:
    part = outcome.get("deciding_part") or {}
    name = part.get("name") or ""
    return f"{name + ': ' if name else ''}{signed(part.get('difference'))} {interval(part.get('ci'))}"


def cell(outcome: dict) -> dict:
    return {"verdict": outcome["verdict"], "effect": why(outcome),
            "seeds": outcome.get("n_seeds"), "as_expected": outcome["verdict"] == outcome["expected"]
            and not outcome.get("finding_changed")}


def why(outcome: dict) -> str:
    """The numbers behind a verdict, in a few words."""
    if outcome["verdict"] == "untestable":
        return "not learnt: " + outcome.get("untestable", "").rpartition("): ")[2]
    return effect(outcome)


def variant_matrix(evidence: dict) -> dict | None:
    """{"variants": [names], "changes": {name: what it changes}, "rows": [...]}, or None."""
    variants = evidence.get("variants")
    if not variants:
        return None
    names = list(variants)
    by_variant = {name: {o["claim"]["id"]: o for o in v["outcomes"]} for name, v in variants.items()}
    ids = sorted(set().union(*by_variant.values()))
    rows = []
    for claim_id in ids:
        outcomes = {name: by_variant[name].get(claim_id) for name in names}
        rows.append({"id": claim_id, "english": next(o for o in outcomes.values() if o)["claim"]["english"],
                     "cells": {name: cell(o) if o else None for name, o in outcomes.items()},
                     "summary": robustness(outcomes)})
    changes = {name: v["settings"]["scale"].get("variant", {}).get("change", "") for name, v in variants.items()}
    return {"variants": names, "changes": changes, "rows": rows}


def robustness(outcomes: dict[str, dict | None]) -> str:
    """``holds in 4 of 5 variants; flips: lr-tuned refuted (bn1 vs bn2: +0.01 [...])``."""
    headline = outcomes.get(HEADLINE) or next(o for o in outcomes.values() if o)
    present = {name: o for name, o in outcomes.items() if o}
    same = [name for name, o in present.items() if o["verdict"] == headline["verdict"]]
    text = f"{headline['verdict']} in {len(same)} of {len(present)} variants"
    flips = [f"{name}: {o['verdict']} ({why(o)})" for name, o in present.items() if name not in same]
    return text + ("; flips: " + "; ".join(flips) if flips else "")


def matrix_markdown(evidence: dict) -> str:
    """The matrix as a Markdown table (for the README and closing notes)."""
    matrix = variant_matrix(evidence)
    if matrix is None:
        raise ValueError("this evidence has no variants section (run pytest claims/ --variant all)")
    names = matrix["variants"]
    lines = ["| id | " + " | ".join(names) + " | robustness |", "|" + " --- |" * (len(names) + 2)]
    for row in matrix["rows"]:
        cells = []
        for name in names:
            c = row["cells"][name]
            cells.append("\u2013" if c is None else (
                c["verdict"] if c["verdict"] == "supported" else f"{c['verdict']}: {c['effect']}"))
        lines.append("| " + " | ".join([row["id"], *cells, row["summary"]]).replace("\n", " ") + " |")
    return "\n".join(lines) + "\n"
