"""What changed since a previous run of the suite (the nightly comparison).

Two things are listed: claims whose verdict changed, and numbers that moved. A number "moved"
when a Welch t-test of its per-seed values (previous run against this one) gives p below a strict
alpha, 0.001 by default: a test rather than a percentage threshold, so a noisy metric must move
further than a steady one before it is listed, and with few seeds only a large move is. Strict,
because a nightly report makes many such comparisons (tens of configurations times two metrics)
and a false alarm every night would teach readers to ignore the section.

The numbers compared are, for every configuration some claim uses and both runs hold, the
per-seed values of the two headline metrics (``reports.metrics.HEADLINE_METRICS``), and, for every
benchmark both runs hold, the per-round epoch seconds of each timed batch size (the D6 claim).
Runs are deterministic per (configuration, seed, scale), so an unchanged suite moves nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from fixtures.stats.mean_difference import mean_difference, t_pvalue
from reports.metrics import HEADLINE_METRICS, config_label, per_seed

STRICT_ALPHA = 0.001


@dataclass(frozen=True)
class VerdictChange:
    claim_id: str
    before: str
    after: str


@dataclass(frozen=True)
class Shift:
    """One number compared between the two runs; ``moved`` when the Welch p is below alpha."""

    subject: str  # a configuration label, or "<benchmark> <bn> batch <size>"
    metric: str
    claims: tuple[str, ...]  # the claims it backs
    before_mean: float
    after_mean: float
    n_before: int
    n_after: int
    pvalue: float
    moved: bool

    @property
    def difference(self) -> float:
        return self.after_mean - self.before_mean


@dataclass(frozen=True)
class Comparison:
    previous_date: str | None
    previous_commit: str | None
    previous_scale: str | None
    same_scale: bool
    alpha: float
    verdict_changes: list[VerdictChange]
    shifts: list[Shift]  # every number compared, moved or not
    new_claims: list[str] = field(default_factory=list)
    dropped_claims: list[str] = field(default_factory=list)
    own_alpha: bool = False  # the runs decided by different rules: verdicts compared at each claim's alpha

    @property
    def moved(self) -> list[Shift]:
        return [shift for shift in self.shifts if shift.moved]


def welch_pvalue(before: np.ndarray, after: np.ndarray) -> float:
    """Two-sided Welch t-test p of equal means; shape (n,) each, n >= 2, finite values.

    The suite's own Welch (``fixtures.stats.mean_difference``) rather than scipy's, for the case
    the data here meets often: both samples without spread (deterministic runs, or accuracy
    stuck at chance), where scipy returns NaN; here p is 1 for equal values and 0 otherwise.
    """
    md = mean_difference(after, before, paired=False)
    if md.standard_error == 0:
        return 1.0 if md.difference == 0 else 0.0
    return 2 * min(t_pvalue(md, 0.0, "greater"), t_pvalue(md, 0.0, "less"))


def _shift(subject: str, metric: str, claims, before, after, alpha: float) -> Shift | None:
    """The comparison of one number, or None if either run has fewer than two finite values."""
    before, after = np.asarray(before, dtype=float), np.asarray(after, dtype=float)
    before, after = before[np.isfinite(before)], after[np.isfinite(after)]
    if len(before) < 2 or len(after) < 2:
        return None
    p = welch_pvalue(before, after)
    return Shift(subject, metric, tuple(claims), float(before.mean()), float(after.mean()),
                 len(before), len(after), p, p < alpha)


def _claims_by_label(evidence: dict) -> dict[str, list[str]]:
    """Configuration label -> ids of the claims that use it."""
    claims: dict[str, list[str]] = {}
    for outcome in evidence["outcomes"]:
        for config in outcome["configs"]:
            claims.setdefault(config_label(config), []).append(outcome["claim"]["id"])
    return claims


def benchmark_claim(benchmark: dict, claim_ids) -> str | None:
    """The claim a benchmark times: its test is named ``test_<claim id>_...`` (e.g. test_d6_...)."""
    for claim_id in claim_ids:
        if benchmark.get("name", "").startswith(f"test_{claim_id.lower()}_"):
            return claim_id
    return None


def _timing_shifts(benchmarks, previous_benchmarks, claim_ids, alpha: float) -> list[Shift]:
    before_by_name = {b["name"]: b for b in previous_benchmarks or []}
    shifts = []
    for benchmark in benchmarks or []:
        previous = before_by_name.get(benchmark["name"])
        seconds = benchmark.get("extra_info", {}).get("epoch_seconds")
        if previous is None or not seconds:
            continue
        previous_seconds = previous.get("extra_info", {}).get("epoch_seconds", {})
        claim = benchmark_claim(benchmark, claim_ids)
        for bn, by_size in sorted(seconds.items()):
            for size, rounds in sorted(by_size.items(), key=lambda item: int(item[0])):
                before = previous_seconds.get(bn, {}).get(size)
                if before is None:
                    continue
                shift = _shift(f"{bn} batch {size}", "epoch seconds", [claim] if claim else [],
                               before, rounds, alpha)
                if shift is not None:
                    shifts.append(shift)
    return shifts


def same_scale(before: dict, after: dict) -> bool:
    """The two runs' scale settings agree; a setting one of them lacks (an older evidence file,
    written before the setting existed) counts as off: None, False and "" are alike."""
    def setting(scale: dict, key: str):
        value = scale.get(key)
        return None if value is None or value is False or value == "" else value

    return all(setting(before, key) == setting(after, key) for key in before.keys() | after.keys())


def _rule(outcome: dict) -> str:
    return outcome.get("decisions", "per-claim")


def verdicts_to_compare(before: dict, after: dict) -> tuple[str, str]:
    """The two outcomes' verdicts under one rule: the session's verdicts when both runs decided by
    the same rule, else both at the claim's own alpha (an evidence file from before issue 13 has
    no ``decisions``: its verdict was the claim's own, and so is its ``raw_verdict`` here)."""
    if _rule(before) == _rule(after):
        return before["verdict"], after["verdict"]
    return before.get("raw_verdict") or before["verdict"], after.get("raw_verdict") or after["verdict"]


def compare(current: dict, previous: dict, *, benchmarks: list[dict] | None = None,
            previous_benchmarks: list[dict] | None = None, alpha: float = STRICT_ALPHA) -> Comparison:
    """Compare this run's evidence (and benchmarks) with a previous run's."""
    before = {o["claim"]["id"]: o for o in previous["outcomes"]}
    after = {o["claim"]["id"]: o for o in current["outcomes"]}
    pairs = {claim_id: verdicts_to_compare(before[claim_id], outcome)
             for claim_id, outcome in after.items() if claim_id in before}
    changes = [VerdictChange(claim_id, old, new) for claim_id, (old, new) in pairs.items() if old != new]

    shifts = []
    claims_by_label = _claims_by_label(current)
    for label in sorted(claims_by_label):
        runs_before, runs_after = previous["runs"].get(label), current["runs"].get(label)
        if not runs_before or not runs_after:
            continue
        for metric_name, metric in HEADLINE_METRICS.items():
            shift = _shift(label, metric_name, claims_by_label[label],
                           per_seed(runs_before, metric), per_seed(runs_after, metric), alpha)
            if shift is not None:
                shifts.append(shift)
    shifts += _timing_shifts(benchmarks, previous_benchmarks, list(after), alpha)

    previous_settings = previous.get("settings", {})
    return Comparison(
        previous_date=previous.get("environment", {}).get("date"),
        previous_commit=previous.get("environment", {}).get("git_commit"),
        previous_scale=previous_settings.get("scale_label"),
        same_scale=same_scale(previous_settings.get("scale") or {}, current.get("settings", {}).get("scale") or {}),
        alpha=alpha,
        verdict_changes=changes,
        shifts=shifts,
        new_claims=sorted(set(after) - set(before)),
        own_alpha=any(_rule(before[claim_id]) != _rule(outcome) for claim_id, outcome in after.items()
                      if claim_id in before),
        dropped_claims=sorted(set(before) - set(after)),
    )
