"""Print the ``Expectation`` a claim's measured outcome pins, as Python to paste into claims/.

``python -m reports.expectations reports/out/evidence.json`` prints, for each empirical claim (under
each variant the evidence has, keyed "ci/fashion-mnist"), an ``Expectation(...)`` with the verdict,
a reason written from the numbers, the deciding part and its effect with the band around its 95% CI
(``fixtures.claims.claim.band_around``). Supported claims are pinned too, to their headline part, so
a supported effect that halves fails as a changed finding instead of passing unnoticed. Arithmetic
checks (D5, D6) get none: they hold for any data, so they have no measured finding to pin.
So the expected verdicts in claims/ are copied from a run's evidence, never typed from memory.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from reports.build import EvidenceError, is_arithmetic, load_evidence


def expectation_source(outcome: dict, date: str) -> str | None:
    """The ``Expectation(...)`` source for one outcome, or None for an arithmetic check."""
    if is_arithmetic(outcome):
        return None
    verdict = outcome["verdict"]
    n = f"{outcome['n_seeds']} {outcome.get('unit', 'seeds')}"
    if verdict == "untestable":
        stuck = outcome["untestable"].split(": ")[-1]
        # Pinned to the first arm that did not learn; a comparison that cannot be made though
        # every arm learnt (L1: no matched progress) has no arm to name.
        first = stuck.split(",")[0].split()[0] if "not learnt" in outcome["untestable"] else ""
        reason = f"measured {date}, {n}: {outcome['untestable']}"
        return f"Expectation({verdict!r}, {reason!r}, part={first!r})"
    part = outcome["deciding_part"]
    low, high = part["ci"]
    name = part["name"] or "effect"
    # A supported verdict needs every part; the headline (first) one is the part it is pinned to.
    decider = "headline part" if verdict == "supported" else "decided by"
    reason = (f"measured {date}, {n}: {verdict}, {decider} {name}: difference "
              f"{part['difference']:+.4g} (95% CI [{low:+.4g}, {high:+.4g}])")
    return (f"Expectation({verdict!r}, {reason!r}, part={part['name']!r}, "
            f"effect={part['difference']:.6g}, band=band_around({low:.6g}, {high:.6g}))")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reports.expectations", description=__doc__.splitlines()[0])
    parser.add_argument("evidence", type=Path)
    args = parser.parse_args(argv)
    try:
        evidence, _ = load_evidence(args.evidence)
    except EvidenceError as error:
        print(f"expectations: {error}", file=sys.stderr)
        return 2
    scale = evidence["settings"]["scale"]["name"]
    date = evidence["environment"]["date"][:10]
    # A one-variant session (--variant fashion-mnist) has no "variants" map: its variant is named
    # in its scale, and its pins must carry that name, or they would land on the article's key.
    alone = evidence["settings"]["scale"].get("variant", {}).get("name", "article")
    parts = evidence.get("variants") or {alone: evidence}
    for name, part in parts.items():
        key = scale if name == "article" else f"{scale}/{name}"  # Claim.expectation's key
        for outcome in part["outcomes"]:
            source = expectation_source(outcome, date)
            if source:
                print(f"{outcome['claim']['id']}: {key!r}: {source},")
    return 0


if __name__ == "__main__":
    sys.exit(main())
