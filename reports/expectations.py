"""Print the ``Expectation`` each claim's measured outcome pins, as Python for claims/ (``--write``: into it).

``python -m reports.expectations reports/out/evidence.json`` prints, for each empirical claim (under
each variant the evidence has, keyed "ci/fashion-mnist"), an ``Expectation(...)`` with the verdict,
a reason written from the numbers, the deciding part and its effect with the band around its 95% CI
(``fixtures.claims.claim.band_around``). Supported claims are pinned too, to their headline part, so
a supported effect that halves fails as a changed finding instead of passing unnoticed. Arithmetic
checks (D5, D6) get none: they hold for any data, so they have no measured finding to pin.
So the expected verdicts in claims/ are copied from a run's evidence, never typed from memory:
``--write`` puts each into its claim's ``expected`` dict in claims/ (``reports.pin_source``),
replacing the pin of the same key and leaving every other line as it was.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from reports.build import EvidenceError, is_arithmetic, load_evidence
from reports.matrix import variants_of
from reports.pin_source import Pin, PinTargetError, write_pins

CLAIMS = Path(__file__).resolve().parents[1] / "claims"


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


def pins(evidence: dict) -> list[Pin]:
    """Every empirical claim's pin in ``evidence``, under each variant it holds."""
    scale = evidence["settings"]["scale"]["name"]
    date = evidence["environment"]["date"][:10]
    # A one-variant session (--variant fashion-mnist) has no "variants" map: its variant is named
    # in its scale, and its pins must carry that name, or they would land on the article's key.
    found = []
    for name, part in variants_of(evidence).items():
        key = scale if name == "article" else f"{scale}/{name}"  # Claim.expectation's key
        for outcome in part["outcomes"]:
            source = expectation_source(outcome, date)
            if source:
                found.append(Pin(outcome["claim"]["id"], key, source))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m reports.expectations", description=__doc__.splitlines()[0])
    parser.add_argument("evidence", type=Path)
    parser.add_argument("--write", action="store_true",
                        help="also write each pin into its claim's expected dict in claims/")
    parser.add_argument("--claims", type=Path, default=CLAIMS, help=argparse.SUPPRESS)  # tests' own copy
    args = parser.parse_args(argv)
    try:
        evidence, _ = load_evidence(args.evidence)
    except EvidenceError as error:
        print(f"expectations: {error}", file=sys.stderr)
        return 2
    found = pins(evidence)
    for pin in found:
        print(f"{pin.claim}: {pin.key!r}: {pin.source},")
    if args.write:
        try:
            changed = write_pins(found, args.claims)
        except PinTargetError as error:
            print(f"expectations: nothing written: {error}", file=sys.stderr)
            return 2
        print(f"expectations: {len(found)} pins written to {', '.join(p.name for p in changed)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
