"""The claim x variant matrix: how far each verdict reaches beyond the article's own setup.

Built from an evidence file with a ``variants`` section (``pytest claims/ --variant all``), or
from several sessions' files, one or more variants each (``combined``): per
cell the verdict, its direction (``reports/directions.py``) and the deciding part's effect with
its interval at the level the verdict used (a 95% CI, labelled so, in older evidence); per claim
a one-line summary of how many variants give the article's verdict, and apart from each other
the variants that flip it (an opposite decided verdict), those that do not decide it
(inconclusive), those that cannot test it (untestable), and a refutation the other way; and
once, the error rate across a row of variants, which no single cell shows.
"""

from __future__ import annotations

from fixtures.claims.claim import ARTICLE_FAMILY, family_of_claim
from fixtures.claims.outcomes import pin_held
from reports.directions import DECIDED, ahead, direction
from reports.formatting import DECISION_LEVEL_NOTE, effect as part_effect, number

HEADLINE = "article"

# The ways a variant's verdict can depart from the headline's, in the order the summary lists them.
DEPARTURES = ("flips", "refuted the other way", "decided here only", "not decided", "untestable")


def effect(outcome: dict) -> str:
    return part_effect(outcome.get("deciding_part") or {})


def why(outcome: dict) -> str:
    """The numbers behind a verdict, in a few words."""
    if outcome["verdict"] == "untestable":
        reason = outcome.get("untestable", "")
        if "not learnt" in reason:  # arms below the learnt line: name them with their accuracies
            return "not learnt: " + reason.rpartition("): ")[2]
        return reason.removeprefix("untestable at this scale: ")  # e.g. L1: no matched progress
    return effect(outcome)


def other_way(outcome: dict, headline: dict) -> bool:
    """Both refuted, but the deciding parts put opposite arms ahead (C2: Adam far better under the
    article's setup, worse under lr-tuned)."""
    if outcome["verdict"] != "refuted" or headline["verdict"] != "refuted":
        return False
    here, there = ahead(outcome), ahead(headline)
    return here is not None and there is not None and here != there


def departure(outcome: dict, headline: dict) -> str:
    """How a variant's verdict departs from the headline's (one of DEPARTURES), or "" if it keeps it.

    Only an opposite decided verdict is a flip: an inconclusive variant (too few seeds to decide)
    or an untestable one says nothing against the headline and is listed apart.
    """
    if outcome["verdict"] == headline["verdict"]:
        return "refuted the other way" if other_way(outcome, headline) else ""
    if outcome["verdict"] == "inconclusive":
        return "not decided"
    if outcome["verdict"] == "untestable":
        return "untestable"
    return "flips" if headline["verdict"] in DECIDED else "decided here only"


def verdict_label(outcome: dict, headline: dict) -> str:
    """``refuted (Adam > SGD)``, ``refuted the other way (Adam < SGD)``, ``inconclusive``."""
    pointed = direction(outcome)
    verdict = "refuted the other way" if other_way(outcome, headline) else outcome["verdict"]
    return f"{verdict} ({pointed})" if pointed else verdict


def cell(outcome: dict, headline: dict) -> dict:
    return {"verdict": outcome["verdict"], "label": verdict_label(outcome, headline),
            "direction": direction(outcome), "other_way": other_way(outcome, headline), "effect": why(outcome),
            "seeds": outcome.get("n_seeds"), "as_expected": pin_held(outcome)}


def headline_of(outcomes: dict[str, dict | None]) -> dict:
    return outcomes.get(HEADLINE) or next(o for o in outcomes.values() if o)


def error_rate(evidence: dict) -> str:
    """The error rate across variants, in words, with k (the variant columns) and alpha from the evidence."""
    variants = evidence["variants"]
    k = len(variants)
    alpha = max(o["claim"]["alpha"] for v in variants.values() for o in v["outcomes"])
    return (f"Each variant column is its own Holm family at alpha = {number(alpha)}, so a single cell keeps "
            f"alpha; but the chance of at least one false support or false refutation somewhere in a row of "
            f"k = {k} variant columns is bounded only by k x alpha = {k} x {number(alpha)} = {number(k * alpha, 3)} "
            f"(Bonferroni), so a row that flips in one variant is weaker evidence than one cell suggests.")


def variants_of(evidence: dict) -> dict[str, dict]:
    """An evidence file's variants by name: its ``variants`` map, or a one-variant session's own
    parts under the name its scale records (``article`` when none)."""
    if evidence.get("variants"):
        return evidence["variants"]
    return {evidence["settings"]["scale"].get("variant", {}).get("name", HEADLINE): evidence}


def _numbers_depend_on(evidence: dict) -> tuple:
    """What must agree between sessions whose columns share a matrix, since it changes the numbers
    (the variant aside): the scale, the trainer and the library versions."""
    return (evidence["settings"]["scale"]["name"], evidence["settings"].get("trainer"),
            tuple(sorted(evidence["environment"].get("versions", {}).items())))


def combined(evidences: list[dict]) -> dict:
    """One evidence whose ``variants`` are those of ``evidences`` in their order, so a matrix can be
    built from sessions run one variant at a time (each variant is its own Holm family, so a
    session per variant decides what one session of all would; only D6, the epoch timing outside
    the family, which a session of all times under the article's setup alone, is timed in each
    one-variant session and so has a cell in each column). Raises ValueError for a
    variant given twice or sessions of another scale, trainer or library versions. Each column
    keeps its session's date and commit (``sessions``), which the matrix lists."""
    if len(evidences) == 1:
        return evidences[0]
    first, variants, sessions = evidences[0], {}, {}
    for evidence in evidences:
        if _numbers_depend_on(evidence) != _numbers_depend_on(first):
            raise ValueError("these evidence files differ in scale, trainer or library versions: "
                             f"{_numbers_depend_on(first)} against {_numbers_depend_on(evidence)}")
        for name, part in variants_of(evidence).items():
            if name in variants:
                raise ValueError(f"variant {name!r} is in more than one evidence file")
            variants[name] = part
            sessions[name] = {key: evidence["environment"].get(key) for key in ("date", "git_commit")}
    return {**first, "variants": variants, "sessions": sessions}


def sessions_line(evidence: dict) -> str:
    """Where a combined matrix's columns come from, one session each."""
    return "Columns from one session each: " + "; ".join(
        f"{name} {(s.get('date') or '?')[:16].replace('T', ' ')} (commit {(s.get('git_commit') or '?')[:7]})"
        for name, s in evidence["sessions"].items()) + "."


def variant_matrix(evidence: dict) -> dict | None:
    """{"variants": [names], "changes": {name: what it changes}, "rows": [...], "error_rate": text}, or None."""
    variants = evidence.get("variants")
    if not variants:
        return None
    names = list(variants)
    # The article's claims only: the papers' mechanism claims are judged under the article's setup
    # alone (its section of the report), so they have no row across variants.
    by_variant = {name: {o["claim"]["id"]: o for o in v["outcomes"] if family_of_claim(o["claim"]) == ARTICLE_FAMILY}
                  for name, v in variants.items()}
    ids = sorted(set().union(*by_variant.values()))
    rows = []
    for claim_id in ids:
        outcomes = {name: by_variant[name].get(claim_id) for name in names}
        headline = headline_of(outcomes)
        rows.append({"id": claim_id, "english": headline["claim"]["english"],
                     "cells": {name: cell(o, headline) if o else None for name, o in outcomes.items()},
                     "summary": robustness(outcomes)})
    changes = {name: v["settings"]["scale"].get("variant", {}).get("change", "") for name, v in variants.items()}
    return {"variants": names, "changes": changes, "rows": rows, "error_rate": error_rate(evidence)}


def departed(name: str, outcome: dict, kind: str) -> str:
    """One variant in the summary: ``lr-tuned: refuted (Adam < SGD; mean test accuracy: ...)``."""
    numbers = "; ".join(text for text in (direction(outcome), why(outcome)) if text)
    if kind == "not decided":
        return f"{name} ({outcome.get('n_seeds')} seeds; {numbers})"
    if kind in ("untestable", "refuted the other way"):
        return f"{name} ({numbers})"
    return f"{name}: {outcome['verdict']} ({numbers})"


def robustness(outcomes: dict[str, dict | None]) -> str:
    """``supported in 3 of 5 variants; flips: lr-tuned: refuted (...); not decided: fashion-mnist (12 seeds; ...)``."""
    headline = headline_of(outcomes)
    present = {name: o for name, o in outcomes.items() if o}
    same = [name for name, o in present.items() if o["verdict"] == headline["verdict"]]
    text = f"{headline['verdict']} in {len(same)} of {len(present)} variants"
    listed = {kind: [] for kind in DEPARTURES}
    for name, o in present.items():
        kind = departure(o, headline)
        if kind:
            listed[kind].append(departed(name, o, kind))
    return text + "".join(f"; {kind}: {'; '.join(items)}" for kind, items in listed.items() if items)


def markdown_cell(c: dict | None) -> str:
    if c is None:
        return "\u2013"
    return c["label"] if c["verdict"] == "supported" else f"{c['label']}: {c['effect']}"


def matrix_markdown(evidence: dict) -> str:
    """The matrix as a Markdown table (for the README and closing notes), after the error rate
    across its variants and what its intervals' levels are."""
    matrix = variant_matrix(evidence)
    if matrix is None:
        raise ValueError("this evidence has no variants section (run pytest claims/ --variant all)")
    names = matrix["variants"]
    lines = [*([sessions_line(evidence), ""] if evidence.get("sessions") else []), matrix["error_rate"], "",
             DECISION_LEVEL_NOTE, "",
             "| id | " + " | ".join(names) + " | robustness |", "|" + " --- |" * (len(names) + 2)]
    for row in matrix["rows"]:
        cells = [markdown_cell(row["cells"][name]) for name in names]
        lines.append("| " + " | ".join([row["id"], *cells, row["summary"]]).replace("\n", " ") + " |")
    return "\n".join(lines) + "\n"
