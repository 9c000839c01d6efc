"""How numbers read in the report: one place, so the page and its tests agree on every digit.

Every function takes anything the evidence may hold (a float, an int, None, NaN, inf) and returns
text; missing or undefined values read as an en dash, never as "nan".
"""

from __future__ import annotations

import math

MISSING = "\u2013"


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def number(value, digits: int = 4) -> str:
    """A plain value to ``digits`` significant digits: ``2.366``, ``0.1123``, ``1.5e-06``."""
    return f"{value:.{digits}g}" if _finite(value) else MISSING


def signed(value, digits: int = 3) -> str:
    """A difference, always with its sign: ``+0.5255``, ``-0.003233``."""
    return f"{value:+.{digits}g}" if _finite(value) else MISSING


def pvalue(value) -> str:
    """A p-value: three significant digits, scientific below 1e-4 (``0.361``, ``1``, ``1.49e-06``)."""
    if not _finite(value):
        return MISSING
    return f"{value:.2e}" if 0 < value < 1e-4 else f"{value:.3g}"


def interval(bounds, digits: int = 3) -> str:
    """A confidence interval ``[lo, hi]`` with signs, e.g. ``[-0.0296, +0.0231]``."""
    if not bounds or len(bounds) != 2:
        return MISSING
    return f"[{signed(bounds[0], digits)}, {signed(bounds[1], digits)}]"


def percent(level) -> str:
    """A confidence level as a percentage, to as many digits as keep it below 100: ``99.17%``, ``95%``."""
    if not _finite(level):
        return MISSING
    for digits in (4, 5, 6):
        text = f"{100 * level:.{digits}g}"
        if text != "100":
            break
    return text + "%"


def _has_interval(bounds) -> bool:
    return bool(bounds) and len(bounds) == 2 and all(_finite(bound) for bound in bounds)


def has_decision_interval(part: dict) -> bool:
    """Whether a deciding part carries its interval at the verdict's level (evidence from issue 21 on)."""
    return _has_interval(part.get("decision_ci")) and _finite(part.get("decision_level"))


def shown_interval(part: dict) -> tuple[list | None, str]:
    """The interval to show beside a deciding part's effect, and its label.

    ``(decision_ci, "at 99.17%")``: the interval at the level the verdict was decided at, so it
    never contradicts the verdict. Evidence from before it was recorded, or a part without one
    (untestable, a trend or best-of test), gives ``(ci, "(95% CI)")``; a part with neither, ``(None, "")``.
    """
    if has_decision_interval(part):
        return part["decision_ci"], f"at {percent(part['decision_level'])}"
    if _has_interval(part.get("ci")):
        return part["ci"], "(95% CI)"
    return None, ""


def decision_interval(part: dict) -> str:
    """``[-0.0003, +0.0045] at 99.17%``, or ``[...] (95% CI)`` (see ``shown_interval``), or ""."""
    bounds, label = shown_interval(part)
    return f"{interval(bounds)} {label}" if bounds else ""


def effect(part: dict) -> str:
    """A deciding part's effect with its interval, named: ``bn1 vs bn4: +0.0021 [...] at 99.17%``."""
    numbers = " ".join(text for text in (signed(part.get("difference")), decision_interval(part)) if text)
    return f"{part['name']}: {numbers}" if part.get("name") else numbers


DECISION_LEVEL_NOTE = (
    "An interval \"at 99.17%\" is the deciding part's interval at the level the verdict used: the "
    "look's share of alpha, Holm over the family, Bonferroni over a claim's parts; so it excludes "
    "the margin exactly when the verdict is decided. \"(95% CI)\" marks a plain 95% t-interval, "
    "from evidence that predates the decision interval or a part without one."
)


def seconds(value) -> str:
    """A duration: ``42.1 s``, ``3.2 min``, ``1.5 h``."""
    if not _finite(value):
        return MISSING
    if value < 120:
        return f"{value:.3g} s"
    if value < 7200:
        return f"{value / 60:.3g} min"
    return f"{value / 3600:.3g} h"


def short_commit(commit) -> str:
    return commit[:10] if commit else "unknown"


FILTERS = {
    "number": number,
    "signed": signed,
    "pvalue": pvalue,
    "interval": interval,
    "seconds": seconds,
    "short_commit": short_commit,
}
