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
