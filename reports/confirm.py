"""Confirm a drift flag on fresh seeds before it fails a night.

A drift table (``reports.drift``) keeps the chance of flagging anything in an unchanged
environment at alpha, per table. A night compares four environments with the baseline, so on
about one night in five some configuration is flagged with nothing changed (2026-12-07: torch's
sigmoid-bn3-sgd-bs128, Holm p 0.046, which a replication on six more seeds did not repeat, p 0.38).
A regression run that fails that often for noise teaches its readers to ignore it. So a flag is
put to a second, independent test before it counts, the way that replication was done by hand:

- **Fresh seeds.** For each flagged configuration, the ``fresh`` seeds after the largest seed
  the night's drift test used for it, trained in the environment and in the baseline (the
  claims that read the configuration, run again with ``--seeds``; the seeds the night already
  has come from the store). The first test's data is not reused, so the second test is
  independent of it.
- **The same test** (``fixtures.stats.paired_drift``, paired by seed) on the flagged
  (configuration, metric) only, **Holm over the night's flags** of that environment.
- **Confirmed** when the adjusted p is below alpha and the difference has the flag's sign. A
  run diverging on one side only is a change by itself (``paired_drift``'s rule), without a
  sign: where the flag or the fresh seeds have one, the sign is not asked for. A flag that
  cannot be tested again (no claim of the night reads its configuration, the confirmation did
  not run or left fewer than 2 fresh seeds on both sides) stands: it is not confirmed away by a
  missing run, and the night exits 1 for it.

Under no change the night fails for drift only if both tests reject: at most alpha x alpha per
table (the second test alone is at alpha, and independent of the first; the sign check halves
it again). That assumes, as ``paired_drift`` does, that whether a run diverges is fixed by its
configuration and seed, not by chance. A real change of two seed SDs is flagged in about 93%
of tables (``tests/test_drift.py``) and confirmed on six seeds in most of those
(``tests/test_confirm.py`` measures both).

Pre-registered (2026-12-07) before any night was judged with it; the default is ``fresh`` = 6
seeds, as in the replication above; ``python -m reports.environments --confirm-seeds 0`` judges
the first test alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from fixtures.stats.mean_difference import t_interval
from fixtures.stats.multiple import holm
from fixtures.stats.paired_drift import paired_drift
from reports.drift import METRICS, DriftRow, DriftTable
from reports.formatting import interval, pvalue, signed

FRESH_SEEDS = 6


@dataclass(frozen=True)
class ConfirmationPlan:
    """What to train again: the claims that read the flagged configurations, on ``seeds`` seeds
    (0 .. seeds - 1: the night's seeds come from the store, the fresh ones are trained)."""

    claims: tuple[str, ...]
    seeds: int
    fresh_after: dict  # {(variant, configuration): largest seed the night's test used}
    fresh: int

    def pytest_args(self, night_args: list[str]) -> list[str]:
        """The night's pytest arguments without its own selection, seed count and ``--fresh``
        (the night's runs are in the store), with the plan's. ``-k`` matches by substring, so a
        claim whose id contains another's (D3s, D3) comes along: more training, the same test."""
        return [*without_selection(night_args), "-k", " or ".join(self.claims), "--seeds", str(self.seeds)]


def without_selection(args: list[str]) -> list[str]:
    """``args`` without ``-k``/``-m``/``--seeds`` and their values (either spelling), and
    without ``--fresh``."""
    kept, skip = [], False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg == "--fresh":
            continue
        if arg in ("-k", "-m", "--seeds"):
            skip = True
            continue
        if arg.startswith(("-k", "-m")) and len(arg) > 2 or arg.startswith("--seeds="):
            continue
        kept.append(arg)
    return kept


def confirmation_plan(table: DriftTable, evidence: dict, baseline: dict,
                      fresh: int = FRESH_SEEDS) -> ConfirmationPlan | None:
    """The plan for ``table``'s flags (None when nothing drifted): every claim of ``evidence``
    that reads a flagged configuration. A claim lists its configurations as the article's; a
    variant's runs add its change (``bn_position``, ``learning_rate``), so a claim reads a run
    whose config holds every field of one of the claim's. That may take a claim too many (D7's
    batch-1024 net matches D7u's 16-epoch one): more training, the same test."""
    if fresh < 2:
        raise ValueError(f"a confirmation needs at least 2 fresh seeds, got {fresh}")
    flagged = {(row.variant, row.config) for row in table.drifted}
    if not flagged:
        return None
    fresh_after, claims = {}, set()
    for variant, label in sorted(flagged, key=str):
        env_runs, base_runs = _runs(evidence, variant).get(label, []), _runs(baseline, variant).get(label, [])
        common = {run["seed"] for run in env_runs} & {run["seed"] for run in base_runs}
        fresh_after[(variant, label)] = max(common, default=-1)
        config = env_runs[0]["config"] if env_runs else None
        claims |= {o["claim"]["id"] for o in _outcomes(evidence, variant)
                   if config and any(_holds(config, c) for c in o.get("configs", []))}
    seeds = max(fresh_after.values()) + 1 + fresh
    return ConfirmationPlan(claims=tuple(sorted(claims)), seeds=seeds, fresh_after=fresh_after, fresh=fresh)


def _holds(run_config: dict, claim_config: dict) -> bool:
    return all(run_config.get(key) == value for key, value in claim_config.items())


@dataclass(frozen=True)
class ConfirmRow:
    """One flag tested again: environment - baseline on the fresh seeds."""

    flag: DriftRow
    seeds: tuple[int, ...]  # the fresh seeds both sides hold (finite or not)
    n: int
    difference: float
    standard_error: float
    df: float
    pvalue: float
    holm_pvalue: float
    confirmed: bool
    diverged_one_side: int = 0
    why: str = ""  # set when the flag could not be tested again (it stands)

    def confidence_interval(self, confidence_level: float = 0.95) -> tuple[float, float]:
        return t_interval(self.difference, self.standard_error, self.df, confidence_level)


@dataclass(frozen=True)
class Confirmation:
    alpha: float
    fresh: int
    rows: tuple[ConfirmRow, ...]

    @property
    def confirmed(self) -> list[ConfirmRow]:
        return [row for row in self.rows if row.confirmed]

    def summary(self) -> str:
        return (f"confirmation: {len(self.confirmed)} of {len(self.rows)} flags held on fresh seeds "
                f"(Holm, alpha {self.alpha:g})")

    def markdown(self) -> str:
        lines = [f"Each flag tested again on up to {self.fresh} fresh seeds (after the largest seed the night "
                 f"compared): paired t-test, Holm over the {len(self.rows)} flags at alpha {self.alpha:g}; "
                 "confirmed when the adjusted p is below alpha with the flag's sign. A flag that could not be "
                 "tested again stands.", "",
                 "| configuration | metric | flag: difference, Holm p | fresh seeds | environment - baseline [95% CI] "
                 "| p | Holm p | confirmed |", "|" + " --- |" * 8]
        for row in self.rows:
            flag = row.flag
            seeds = f"{row.seeds[0]}-{row.seeds[-1]} ({row.n})" if row.seeds else "none"
            if row.diverged_one_side:
                seeds += f" (+{row.diverged_one_side} diverged on one side)"
            if row.why:
                cells = [flag.label, flag.metric, f"{signed(flag.difference, 3)}, {pvalue(flag.holm_pvalue)}",
                         seeds, row.why, "", "", "**stands**"]
            else:
                cells = [flag.label, flag.metric, f"{signed(flag.difference, 3)}, {pvalue(flag.holm_pvalue)}",
                         seeds, f"{signed(row.difference, 3)} {interval(row.confidence_interval(), 3)}",
                         pvalue(row.pvalue), pvalue(row.holm_pvalue), "**yes**" if row.confirmed else "no"]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines) + "\n"


def confirm_flags(flags: list[DriftRow], evidence: dict, baseline: dict, fresh_after: dict,
                  fresh: int = FRESH_SEEDS, alpha: float = 0.05) -> Confirmation:
    """Test each of ``flags`` again on the ``fresh`` seeds after ``fresh_after[(variant, config)]``
    that both confirmation evidence files hold, Holm over the flags."""
    if not 0 < alpha < 1:
        raise ValueError(f"`alpha` must be in (0, 1), got {alpha!r}")
    tested, stands = [], []
    for flag in flags:
        env_by_seed = {r["seed"]: r for r in _runs(evidence, flag.variant).get(flag.config, [])}
        base_by_seed = {r["seed"]: r for r in _runs(baseline, flag.variant).get(flag.config, [])}
        after = fresh_after.get((flag.variant, flag.config), math.inf)
        seeds = sorted(s for s in set(env_by_seed) & set(base_by_seed) if s > after)[:fresh]
        test_size = ((_part(evidence, flag.variant).get("settings") or {}).get("scale") or {}).get("test_size")
        of = METRICS[flag.metric]
        try:
            result = paired_drift(np.array([of(env_by_seed[s], test_size) for s in seeds]),
                                  np.array([of(base_by_seed[s], test_size) for s in seeds]))
        except ValueError as error:
            stands.append(_standing(flag, tuple(seeds), str(error)))
            continue
        tested.append((flag, tuple(seeds), result))
    adjusted = holm([result.pvalue for *_, result in tested]) if tested else []
    rows = [ConfirmRow(flag=flag, seeds=seeds, n=result.n, difference=result.difference,
                       standard_error=result.standard_error, df=result.df, pvalue=result.pvalue,
                       holm_pvalue=float(p), diverged_one_side=result.diverged_one_side,
                       confirmed=bool(p < alpha and _same_change(flag, result)))
            for (flag, seeds, result), p in zip(tested, adjusted)]
    return Confirmation(alpha=alpha, fresh=fresh, rows=tuple(rows + stands))


def _same_change(flag: DriftRow, result) -> bool:
    """Whether the fresh seeds' change is the flag's: the same sign, unless a run diverged on
    one side only (in the flag or now), a change with no sign."""
    if flag.diverged_one_side or result.diverged_one_side:
        return True
    return bool(np.sign(result.difference) == np.sign(flag.difference))


def _standing(flag: DriftRow, seeds: tuple[int, ...], why: str) -> ConfirmRow:
    return ConfirmRow(flag=flag, seeds=seeds, n=0, difference=math.nan, standard_error=math.nan, df=math.nan,
                      pvalue=math.nan, holm_pvalue=math.nan, confirmed=True, why=f"not tested again: {why}")


def _part(evidence: dict, variant: str | None) -> dict:
    """The variant's part of ``evidence`` (the file itself for its headline variant)."""
    if variant is None:
        return evidence
    return (evidence.get("variants") or {}).get(variant) or {}


def _runs(evidence: dict, variant: str | None) -> dict:
    return _part(evidence, variant).get("runs") or {}


def _outcomes(evidence: dict, variant: str | None) -> list[dict]:
    return _part(evidence, variant).get("outcomes") or []
