"""Which way a decided verdict points: the deciding part's two arms and the sign of its difference.

A verdict alone hides a direction: C2 ("Adam without BN is about as good as SGD with BN") is
refuted under every variant, with Adam far better under the article's setup and worse under
lr-tuned. The deciding part names its arms (``labels``: [a, b]) and its difference is a - b (for a
"... (log ratio)" part, log(a/b)), so its sign says which arm came out above the other. It is
the sign of the point estimate; the interval beside it says how sure that is.
"""

from __future__ import annotations

import math

from fixtures.claims.conjunction import PATH_SEPARATOR

DECIDED = ("supported", "refuted")
# Metrics that are better low, by a word of the part's name, with the words a cell says it in
# (None: shown as a plain "a < b"). Saturation first: L1 compares it at matched test *loss*.
LOWER_IS_BETTER = (("saturation", "less saturated"), ("loss", "lower loss"), ("seconds", None))
SEPARATOR = PATH_SEPARATOR  # a nested part's path, "outer / inner", as the claim layer names it


def find_part(summary: dict, name: str) -> dict | None:
    """The summary of the part at path ``name`` ("bn1 vs bn4 / final test accuracy"; "" names a
    single test's own summary), or None when the summary has no such part."""
    for step in filter(None, name.split(SEPARATOR)):
        summary = next((part for part_name, part in summary.get("parts", []) if part_name == step), None)
        if summary is None:
            return None
    return summary


def arms(labels: list[str]) -> tuple[str, str]:
    """The two arms by what tells them apart: ``sigmoid-bn0-adam-bs128`` against
    ``sigmoid-bn1-sgd-bs128`` reads ``bn0-adam`` against ``bn1-sgd`` (the tokens both share say
    nothing about the direction); labels of another shape are kept whole."""
    a, b = (label.split("-") for label in labels)
    if len(a) != len(b):
        return labels[0], labels[1]
    differ = [i for i in range(len(a)) if a[i] != b[i]]
    if not differ:
        return labels[0], labels[1]
    return "-".join(a[i] for i in differ), "-".join(b[i] for i in differ)


def _pointed(outcome: dict) -> tuple[dict, float] | None:
    """The deciding part and its difference, when a decided verdict has two arms and a sign."""
    part = outcome.get("deciding_part") or {}
    labels, difference = part.get("labels"), part.get("difference")
    if outcome["verdict"] not in DECIDED or not labels or len(labels) != 2:
        return None
    if not isinstance(difference, (int, float)) or not math.isfinite(difference):
        return None
    return part, difference


def leaf_name(name: str) -> str:
    """The innermost step of a part's path: ``final test accuracy`` of ``bn1 vs bn4 / final test accuracy``."""
    return name.rpartition(SEPARATOR)[2]


def _lower_is_better(name: str) -> tuple[str, str | None] | None:
    """The ``LOWER_IS_BETTER`` entry the metric a part names falls under, if any."""
    return next((entry for entry in LOWER_IS_BETTER if entry[0] in leaf_name(name)), None)


def lower_is_ahead(name: str) -> bool:
    """Whether the metric a part names is better low (a loss, seconds, saturation) rather than high."""
    return _lower_is_better(name) is not None


def direction(outcome: dict) -> str:
    """``Adam > SGD``, ``lower loss: BN``, or ``bn1 \u2248 bn2`` for a supported equivalence; "" for
    an undecided verdict or a part without arms."""
    pointed = _pointed(outcome)
    if pointed is None:
        return ""
    part, difference = pointed
    a, b = arms(part["labels"])
    leaf = find_part(outcome.get("summary") or {}, part.get("name") or "") or {}
    if outcome["verdict"] == "supported" and leaf.get("test") == "equivalence":
        return f"{a} \u2248 {b}"  # equivalent within the margin: the sign says nothing
    if difference == 0:
        return f"{a} = {b}"
    lower = _lower_is_better(part.get("name") or "")
    if lower and lower[1]:
        return f"{lower[1]}: {a if difference < 0 else b}"
    return f"{a} {'>' if difference > 0 else '<'} {b}"


def ahead(outcome: dict) -> str | None:
    """The label of the arm the deciding part puts ahead (higher, or lower for a loss or seconds),
    so two outcomes decided by different parts of one claim (accuracy here, loss there) can be
    compared; None when there is no direction."""
    pointed = _pointed(outcome)
    if pointed is None or pointed[1] == 0:
        return None
    part, difference = pointed
    a, b = part["labels"]
    higher, lower = (a, b) if difference > 0 else (b, a)
    return lower if lower_is_ahead(part.get("name") or "") else higher
