"""Drift against a baseline: which configurations' numbers moved beyond float noise between two
environments (``python -m reports drift EVIDENCE BASELINE``).

The nightly runs the claims in other environments (another Keras backend, a newer TensorFlow or
Keras) and compares each with a baseline evidence file from the pinned environment. Runs of two
environments differ at the last float digits and training grows those differences, so a run's
numbers may differ between environments by about as much as between seeds: a percentage
threshold would flag noise or miss a real change. Instead every (configuration, metric) gets a
test, ``fixtures.stats.paired_drift``:

- **Paired by seed.** The same seed gives the same initial weights and batch order, so in the
  same backend the two runs differ only by the environment's float noise (identical
  environments give bit-identical runs: every difference 0, p = 1) unless something changed,
  and the seed-to-seed spread drops out of the comparison. Across backends, where a seed may not
  give the same start, pairing costs one degree of freedom at most, so it is never worse than an
  unpaired test by much and usually far better.
- **Holm over the table.** A table tests every configuration both files hold on three metrics,
  tens of tests; at alpha each, one of them would be flagged on most nights with nothing
  changed. Holm's step-down adjustment over all the (configuration, metric) tests of the table
  keeps the chance of flagging anything in an unchanged environment at alpha (under any
  dependence, and the metrics of one configuration are strongly dependent), while a real change
  still shows: the smallest p only has to beat alpha / m.

The metrics, per run: final test accuracy (as the count of test images right, over the test
set's size), log of the final test loss and log of the mean training loss over the epochs
(losses compare as ratios, as in the claims). They are the raw
values: a diverged run's are NaN, and ``paired_drift`` counts a run diverging in one environment
only as a change (p = 0) and drops a seed that diverged in both.

Only runs of the same scale compare (the same budget per run; the seed lists may differ and the
seeds both hold are used); with several variants in both files each variant is compared with
its namesake. Configurations, variants or seeds on one side only are listed, not tested.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from fixtures.stats.mean_difference import t_interval
from fixtures.stats.multiple import holm
from fixtures.stats.paired_drift import paired_drift
from reports.formatting import interval, pvalue, signed


def final_test_accuracy(run: dict, test_size: int | None = None) -> float:
    """The share of the ``test_size`` test images classified right, as that whole count over
    ``test_size``: backends keep the same count in floats of other widths (1,135 of 10,000 is
    0.11349999904632568 from TensorFlow's float32, 0.1135 from Keras on PyTorch, 2026-12-07), and
    the same shift in every seed is a change to ``paired_drift``, however small."""
    accuracy = float(run["test_accuracy"][-1])
    if not test_size or not math.isfinite(accuracy):
        return accuracy
    return round(accuracy * test_size) / test_size


def log_final_test_loss(run: dict, test_size: int | None = None) -> float:
    return _log(float(run["test_loss"][-1]))


def log_mean_train_loss(run: dict, test_size: int | None = None) -> float:
    losses = run["train_loss"]
    return _log(sum(float(v) for v in losses) / len(losses))


def _log(value: float) -> float:
    """log of a loss; NaN for a diverged run's NaN/inf and for a loss <= 0 (none is)."""
    return math.log(value) if math.isfinite(value) and value > 0 else math.nan


METRICS = {
    "final test accuracy": final_test_accuracy,
    "log final test loss": log_final_test_loss,
    "log mean training loss": log_mean_train_loss,
}
# Scale fields that say which seeds exist (or what D6 times), not what a run's numbers depend on.
SCALE_FIELDS_IGNORED = ("seeds", "looks", "overrides", "timed_size")


class DriftError(ValueError):
    """The two evidence files cannot be compared (different scales, no runs)."""


@dataclass(frozen=True)
class DriftRow:
    """One (configuration, metric) test: environment - baseline over the seeds both hold."""

    variant: str | None
    config: str
    metric: str
    n: int  # pairs finite on both sides
    difference: float  # mean of environment - baseline
    standard_error: float
    df: float
    pvalue: float  # raw, two-sided
    holm_pvalue: float  # Holm over every test of the table
    drifted: bool  # holm_pvalue < alpha
    diverged_one_side: int = 0  # seeds diverged in one environment only (each a change)
    dropped: int = 0  # seeds diverged in both, left out

    @property
    def label(self) -> str:
        return f"{self.variant}/{self.config}" if self.variant else self.config

    def confidence_interval(self, confidence_level: float = 0.95) -> tuple[float, float]:
        """t interval of the mean difference (computed on demand: the quantile costs more than
        the test, and the calibration tests build thousands of tables)."""
        return t_interval(self.difference, self.standard_error, self.df, confidence_level)


@dataclass(frozen=True)
class DriftTable:
    alpha: float
    scale: str  # the scale label both files share
    rows: tuple[DriftRow, ...]
    only_in_environment: tuple[str, ...] = ()  # configuration (or variant) labels, not tested
    only_in_baseline: tuple[str, ...] = ()
    untested: tuple[tuple[str, str], ...] = ()  # (label, why): e.g. fewer than 2 common seeds
    versions: dict = field(default_factory=dict)  # {"environment": {...}, "baseline": {...}}

    @property
    def drifted(self) -> list[DriftRow]:
        return [row for row in self.rows if row.drifted]

    def summary(self) -> str:
        return (f"drift: {len(self.drifted)} of {len(self.rows)} (configuration, metric) tests moved "
                f"beyond noise (Holm, alpha {self.alpha:g})")

    def markdown(self) -> str:
        lines = [f"Drift against the baseline, scale {self.scale}: paired t-test per (configuration, metric) "
                 f"over the seeds both hold, Holm over the table's {len(self.rows)} tests at alpha {self.alpha:g}.",
                 ""]
        lines += [f"- {side}: {_versions(self.versions.get(side) or {})}" for side in ("environment", "baseline")]
        changed = _changed_versions(self.versions)
        if changed:
            lines.append(f"- versions that differ: {changed}")
        lines.append("")
        with_variant = any(row.variant for row in self.rows)
        header = ["configuration", "metric", "seeds", "environment - baseline [95% CI]", "p", "Holm p", "drifted"]
        if with_variant:
            header.insert(0, "variant")
        lines += ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
        for row in self.rows:
            seeds = str(row.n)
            if row.diverged_one_side:
                seeds += f" (+{row.diverged_one_side} diverged on one side)"
            if row.dropped:
                seeds += f" ({row.dropped} diverged on both, left out)"
            cells = [row.config, row.metric, seeds,
                     f"{signed(row.difference, 3)} {interval(row.confidence_interval(), 3)}",
                     pvalue(row.pvalue), pvalue(row.holm_pvalue), "**yes**" if row.drifted else "no"]
            if with_variant:
                cells.insert(0, row.variant or "")
            lines.append("| " + " | ".join(cells) + " |")
        for side, labels in (("environment", self.only_in_environment), ("baseline", self.only_in_baseline)):
            if labels:
                lines += ["", f"Only in the {side} (not tested): {', '.join(labels)}."]
        for label, why in self.untested:
            lines += ["", f"Not tested: {label}: {why}."]
        return "\n".join(lines) + "\n"


def drift_table(evidence: dict, baseline: dict, alpha: float = 0.05) -> DriftTable:
    """Compare ``evidence`` (the environment) with ``baseline``, both evidence dicts as
    ``fixtures.evidence.build_evidence`` writes them, per configuration both hold.

    Raises DriftError (a ValueError) when the scales differ, naming both scale labels.
    """
    if not 0 < alpha < 1:
        raise ValueError(f"`alpha` must be in (0, 1), got {alpha!r}")
    parts = _parts(evidence, baseline)
    tests, only_env, only_base, untested, scales = [], [], [], [], []
    for variant, env_part, base_part in parts:
        if env_part is None or base_part is None:
            (only_env if base_part is None else only_base).append(f"variant {variant}")
            continue
        scales.append(_same_scale(env_part, base_part, variant))
        env_runs, base_runs = env_part.get("runs") or {}, base_part.get("runs") or {}
        prefix = f"{variant}/" if variant else ""
        only_env += [prefix + label for label in sorted(set(env_runs) - set(base_runs))]
        only_base += [prefix + label for label in sorted(set(base_runs) - set(env_runs))]
        for label in sorted(set(env_runs) & set(base_runs)):
            env_by_seed = {run["seed"]: run for run in env_runs[label]}
            base_by_seed = {run["seed"]: run for run in base_runs[label]}
            seeds = sorted(set(env_by_seed) & set(base_by_seed))
            if len(seeds) < 2:
                untested.append((prefix + label, f"{len(seeds)} seed(s) on both sides, a paired test needs 2"))
                continue
            test_size = ((env_part.get("settings") or {}).get("scale") or {}).get("test_size")
            for metric, of in METRICS.items():
                env_values = np.array([of(env_by_seed[s], test_size) for s in seeds])
                base_values = np.array([of(base_by_seed[s], test_size) for s in seeds])
                try:
                    result = paired_drift(env_values, base_values)
                except ValueError as error:  # too few seeds left once both-diverged ones drop
                    untested.append((f"{prefix}{label} {metric}", str(error)))
                    continue
                tests.append((variant, label, metric, result))
    adjusted = holm([result.pvalue for *_, result in tests]) if tests else np.array([])
    rows = []
    for (variant, label, metric, result), holm_p in zip(tests, adjusted):
        rows.append(DriftRow(variant=variant, config=label, metric=metric, n=result.n,
                             difference=result.difference, standard_error=result.standard_error, df=result.df,
                             pvalue=result.pvalue, holm_pvalue=float(holm_p), drifted=bool(holm_p < alpha),
                             diverged_one_side=result.diverged_one_side, dropped=result.dropped))
    versions = {"environment": _environment_versions(evidence), "baseline": _environment_versions(baseline)}
    return DriftTable(alpha=alpha, scale=", ".join(dict.fromkeys(scales)), rows=tuple(rows),
                      only_in_environment=tuple(only_env), only_in_baseline=tuple(only_base),
                      untested=tuple(untested), versions=versions)


def _parts(evidence: dict, baseline: dict) -> list[tuple[str | None, dict | None, dict | None]]:
    """(variant, environment part, baseline part): per variant when both files have variants,
    else the files themselves (their headline variant)."""
    env_variants, base_variants = evidence.get("variants"), baseline.get("variants")
    if not (env_variants and base_variants):
        return [(None, evidence, baseline)]
    names = list(dict.fromkeys([*env_variants, *base_variants]))
    return [(name, env_variants.get(name), base_variants.get(name)) for name in names]


def _scale_label(part: dict) -> str:
    settings = part.get("settings") or {}
    return str(settings.get("scale_label") or (settings.get("scale") or {}).get("name") or "unknown")


def _budget(scale: dict) -> dict:
    """What a scale trains, for comparison: without the seeds and looks, and without lr-tuned's
    tuning record, whose per-seed scores differ between environments as any run's numbers do
    (a rate chosen differently shows anyway, as runs with other labels on one side only)."""
    budget = {k: v for k, v in scale.items() if k not in SCALE_FIELDS_IGNORED}
    if isinstance(budget.get("variant"), dict) and "tuning" in budget["variant"]:
        budget["variant"] = {k: v for k, v in budget["variant"].items() if k != "tuning"}
    return budget


def _same_scale(env_part: dict, base_part: dict, variant: str | None) -> str:
    """The shared scale label; DriftError naming both when the runs' budgets differ."""
    env_scale = (env_part.get("settings") or {}).get("scale")
    base_scale = (base_part.get("settings") or {}).get("scale")
    env_label, base_label = _scale_label(env_part), _scale_label(base_part)
    where = f" (variant {variant})" if variant else ""
    if env_scale is None or base_scale is None:
        raise DriftError(f"cannot compare{where}: a file records no scale (environment {env_label!r}, "
                         f"baseline {base_label!r})")
    env_budget, base_budget = _budget(env_scale), _budget(base_scale)
    if env_budget != base_budget:
        differ = sorted(k for k in set(env_budget) | set(base_budget) if env_budget.get(k) != base_budget.get(k))
        raise DriftError(f"cannot compare runs of different scales{where}: environment {env_label!r}, "
                         f"baseline {base_label!r} (they differ in {', '.join(differ)})")
    return env_label


def _environment_versions(evidence: dict) -> dict:
    return dict((evidence.get("environment") or {}).get("versions") or {})


def _versions(versions: dict) -> str:
    return ", ".join(f"{name} {version}" for name, version in sorted(versions.items())) or "versions not recorded"


def _changed_versions(versions: dict) -> str:
    env, base = versions.get("environment") or {}, versions.get("baseline") or {}
    return ", ".join(f"{name} {base.get(name, '-')} -> {env.get(name, '-')}"
                     for name in sorted(set(env) | set(base)) if env.get(name) != base.get(name))
