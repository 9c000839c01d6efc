"""The ``lr-tuned`` variant's tuning record as a table: per network, the rate chosen and how firmly.

What a reader asks of a tuned rate: which rates were tried, which one won on the mean over the
tuning seeds, whether each seed alone would have chosen it (one seed's luck should not pick a
rate), whether the other recorded criteria agree, and whether the grid had to be extended or the
choice sits at its limit. Read from the evidence (``settings.scale.variant.tuning``), so the
table cannot go stale; ``python -m reports tuning EVIDENCE`` prints it.
"""

from __future__ import annotations

from fixtures.execution.tuning import CHOSEN_BY, CRITERIA, best_index


def tuning_records(evidence: dict) -> dict[str, dict]:
    """{network label: its tuning record} of the lr-tuned variant in ``evidence`` (a session of that
    variant alone, or one of several); raises ValueError when there is none."""
    parts = evidence.get("variants") or {"": evidence}
    for part in parts.values():
        records = part.get("settings", {}).get("scale", {}).get("variant", {}).get("tuning")
        if records:
            return records
    raise ValueError("no tuning record: the evidence is not of a session with --variant lr-tuned")


def seed_choices(record: dict, criterion=CHOSEN_BY) -> list[float | None]:
    """The rate each tuning seed alone would choose under ``criterion`` (None: every rate diverged)."""
    by_seed = record["criteria"][criterion.name]["by_seed"]
    choices = []
    for scores in by_seed:
        index = best_index((tuple(scores),), criterion)
        choices.append(None if scores[index] is None else record["rates"][index])
    return choices


def tuning_markdown(evidence: dict) -> str:
    """One row per network: the chosen rate with each seed's score there, each seed's own choice,
    the other criteria's choices, and the grid's extension or limit."""
    others = [c for c in CRITERIA if c is not CHOSEN_BY]
    header = (["network", "updates", "chosen", f"{CHOSEN_BY.name} there, per seed", "each seed alone"]
              + [f"by {c.name}" for c in others] + ["grid"])
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    records = tuning_records(evidence)
    for label, record in sorted(records.items()):
        at = record["rates"].index(record["rate"])
        scores = [row[at] for row in record["criteria"][CHOSEN_BY.name]["by_seed"]]
        grid = ("extended to " + ", ".join(f"{r:g}" for r in record["extended"])) if record["extended"] else "inside"
        cells = [label, f"{record['updates']:,}", f"{record['rate']:g}",
                 " / ".join("diverged" if s is None else f"{s:.4f}" for s in scores),
                 " / ".join("none" if r is None else f"{r:g}" for r in seed_choices(record))]
        cells += [f"{record['criteria'][c.name]['best']:g}" for c in others]
        cells.append(grid + ("; at the limit" if record["at_limit"] else ""))
        lines.append("| " + " | ".join(cells) + " |")
    seeds = ", ".join(str(s) for s in next(iter(records.values()))["seeds"])
    return "\n".join(lines) + f"\n\nTuning seeds {seeds}; rates chosen by {CHOSEN_BY.name}, the mean over the seeds.\n"
