"""The ICS family's section of the report: which recorded nets are which, and the papers' figures
redrawn from their probes (Ioffe & Szegedy 2015, Figure 1; Santurkar et al. 2018, Figures 3-4).

A recorded run (fixtures/training/ics/runs.py) keeps its probes under ``extras["probes"]``, read at
``probe_steps``; every figure here is drawn from all seeds of each net (the mean over seeds, a 95%
t-band across them), except Figure 1(b, c), which follows one typical unit of one seed as the paper
does, chosen by ``typical_unit``'s stated rule. The runs are told apart by their configuration
(``ModelConfig``), not by label: first by network (``net_of``: Ioffe & Szegedy's 3 x 100 at batch
60, the article's own 512-256-128-64 at batch 128), then by arm (no BN, BN, noisy BN at the
article's rate) and, for LR1, by learning rate; each network gets its own set of figures.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
from matplotlib import rc_context
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, NullLocator

from fixtures.claims import mechanism
from fixtures.claims.claim import family_of_claim
from fixtures.claims.mechanism import WARMUP_STEPS, stable, trains
from fixtures.claims.metrics import CHANCE_LOSS
from fixtures.training.models import LEARNING_RATE, ModelConfig
from fixtures.training.results import RunResult
from reports.figures import PALETTE, WHITEGRID, _figure, _svg
from reports.metrics import mean_band

FAMILY = "ics"
ARMS = ("no BN", "BN", "noisy BN")  # the order every figure and caption lists them in
COLORS = dict(zip(ARMS, PALETTE))


def family_of(outcome: dict) -> str:
    """The claim family an outcome belongs to (``"article"`` for the article's own claims)."""
    return family_of_claim(outcome["claim"])


def arm_of(config: ModelConfig) -> str:
    """Which of the family's nets a configuration is: no BN, BN, or noisy BN."""
    if not config.bn_layers:
        return "no BN"
    return "noisy BN" if config.noisy else "BN"


def recorded_runs(outcomes: list[dict], runs: dict) -> dict[ModelConfig, list[dict]]:
    """The configurations the outcomes compare, with their stored runs that carry probes (the
    evidence keys runs by ``ModelConfig.label``, which names widths, BN position, rate and noise)."""
    found = {}
    for outcome in outcomes:
        for data in outcome["configs"]:
            config = ModelConfig(**data)
            recorded = [run for run in runs.get(config.label, []) if run.get("extras", {}).get("probes")]
            if recorded:
                found[config] = recorded
    return found


def net_of(config: ModelConfig) -> str:
    """The network an arm belongs to, named by what its arms share (units, widths, batch size): the
    family reads claims on more than one net (Ioffe & Szegedy's and the article's own)."""
    return f"{config.activation} {'-'.join(map(str, config.hidden_units))}, batch {config.batch_size}"


def nets(by_config: dict[ModelConfig, list[dict]]) -> dict[str, dict[ModelConfig, list[dict]]]:
    """The configurations grouped by network, in order of first appearance."""
    grouped: dict[str, dict[ModelConfig, list[dict]]] = {}
    for config, runs in by_config.items():
        grouped.setdefault(net_of(config), {})[config] = runs
    return grouped


def main_arms(by_config: dict[ModelConfig, list[dict]]) -> dict[str, list[dict]]:
    """One network's arms at the article's rate, in ``ARMS`` order: the ones the papers' figures show
    (by_config: one network's configurations, ``nets``)."""
    at_rate = {arm_of(config): runs for config, runs in by_config.items() if config.rate == LEARNING_RATE}
    return {arm: at_rate[arm] for arm in ARMS if arm in at_rate}


def rate_grid(by_config: dict[ModelConfig, list[dict]]) -> dict[str, dict[float, list[dict]]]:
    """Per arm with more than one rate (LR1's grid), its runs by learning rate, rates ascending."""
    grid: dict[str, dict[float, list[dict]]] = {}
    for config, runs in by_config.items():
        grid.setdefault(arm_of(config), {})[config.rate] = runs
    return {arm: dict(sorted(grid[arm].items())) for arm in ARMS if len(grid.get(arm, {})) > 1}


# Per-probe series of one run: each maps a probe record to one value per probe step.
def _accuracy(probes: dict) -> np.ndarray:
    return np.asarray(probes["test_accuracy"], dtype=float)


def _relative_change(probes: dict) -> np.ndarray:
    """||G - G'|| / ||G|| averaged over the probed layers that have a gradient (||G|| > 0)."""
    l2, norm = (np.asarray(probes["ics"][key], dtype=float) for key in ("l2", "norm"))
    ratio = np.divide(l2, norm, out=np.full_like(l2, np.nan), where=norm > 0)
    return _row_mean(ratio)


def _cosine(probes: dict) -> np.ndarray:
    rows = [[math.nan if c is None else c for c in row] for row in probes["ics"]["cosine"]]
    return _row_mean(np.asarray(rows, dtype=float).reshape(len(rows), -1))


def _loss_range(probes: dict) -> np.ndarray:
    return np.asarray(probes["smoothness"]["loss_range"], dtype=float)


def _beta(probes: dict) -> np.ndarray:
    return np.asarray([math.nan if b is None else b for b in probes["smoothness"]["beta"]], dtype=float)


def _row_mean(values: np.ndarray) -> np.ndarray:
    """Mean of each row's finite entries, NaN for a row with none (without numpy's empty-slice warning)."""
    finite = np.isfinite(values)
    counts = finite.sum(axis=1)
    sums = np.where(finite, values, 0.0).sum(axis=1)
    return np.divide(sums, counts, out=np.full(len(values), np.nan), where=counts > 0)


def series(runs: list[dict], values_of) -> tuple[np.ndarray, np.ndarray]:
    """(steps, values): every step any run probed, and one row per run, NaN where a run has no probe
    (a diverged run's probes end at its divergence). values_of: probe record -> one value per probe."""
    steps = np.asarray(sorted({s for run in runs for s in run["extras"]["probes"]["probe_steps"]}))
    values = np.full((len(runs), len(steps)), np.nan)
    for row, run in zip(values, runs):
        probes = run["extras"]["probes"]
        row[np.searchsorted(steps, probes["probe_steps"])] = values_of(probes)
    return steps, values


def drift_window(steps) -> np.ndarray:
    """Indices of the probes IS2's drift is read over (``mechanism.drift_window``), or every probe
    when fewer than two lie there (a run shorter than the warm-up, as at smoke scale)."""
    window = mechanism.drift_window(steps)
    return window if window.size >= 2 else np.arange(len(steps))


def unit_drifts(probes: dict) -> np.ndarray:
    """Per unit of the last hidden layer, IS2's drift (``mechanism.unit_drifts``). Shape (n_units,)."""
    return mechanism.unit_drifts(probes, drift_window(probes["probe_steps"]))


def typical_unit(probes: dict) -> int:
    """The unit (its number in ``percentiles.units``) whose drift is the median of the layer's units:
    the lower median ((n - 1) // 2 in ascending order, the 50th of 100), ties to the lower unit number,
    so a typical unit is shown, neither the steadiest nor the most moved."""
    order = np.argsort(unit_drifts(probes), kind="stable")
    return int(probes["percentiles"]["units"][order[(len(order) - 1) // 2]])


def drift_over_steps(probes: dict) -> np.ndarray:
    """Per probe, the mean over units and levels of |percentile now - at the window's first probe|
    (NaN before the window): at the last probe it is IS2's per-seed drift (before its log)."""
    values = np.asarray(probes["percentiles"]["values"], dtype=float)
    start = drift_window(probes["probe_steps"])[0]
    drift = np.mean(np.abs(values - values[start]), axis=(1, 2))
    drift[:start] = np.nan
    return drift


def first_seed(runs: list[dict]) -> dict:
    return min(runs, key=lambda run: run["seed"])


# The claims' own readings of "does not diverge", as the figure names them: LR1's pre-registered
# rule, and LR1t's (added after LR1's ci run passed a net sitting at chance).
RULES = {"stable (LR1)": stable, "trains (LR1t)": trains}


def shares_passing(by_rate: dict[float, list[dict]], rule=stable) -> dict[float, tuple[int, int]]:
    """Per learning rate, (seeds whose run passes ``rule``, seeds): ``mechanism.stable`` or ``trains``."""
    return {rate: (sum(rule(RunResult.from_dict(run)) for run in runs), len(runs))
            for rate, runs in by_rate.items()}


def largest_passing(by_rate: dict[float, list[dict]], rule=stable) -> dict[int, float | None]:
    """Per seed, the largest rate whose run passes ``rule`` (None: none does), seeds matched by number."""
    largest: dict[int, float | None] = {}
    for rate, runs in sorted(by_rate.items()):
        for run in runs:
            largest.setdefault(run["seed"], None)
            if rule(RunResult.from_dict(run)):
                largest[run["seed"]] = rate
    return dict(sorted(largest.items()))


def _band(axes, arm: str, steps, values, *, label_n: bool = True) -> None:
    """One arm's mean over seeds with its 95% t-band (the article figures' convention)."""
    mean, low, high = mean_band(values)
    color = COLORS[arm]
    label = f"{arm} (n={len(values)})" if label_n else arm
    axes.plot(steps, mean, color=color, marker="o", markersize=2.5, linewidth=1.6, label=label)
    axes.fill_between(steps, low, high, color=color, alpha=0.18, linewidth=0)


def _positive(values: np.ndarray) -> np.ndarray:
    """Values a log axis can show; the rest become gaps."""
    return np.where(values > 0, values, np.nan)


def _log_if_positive(axes, *arrays) -> None:
    if any(np.isfinite(_positive(a)).any() for a in arrays):
        axes.set_yscale("log")


def _steps_axes(axes, ylabel: str, title: str) -> None:
    axes.set_xlabel("training step")
    axes.set_ylabel(ylabel)
    axes.set_title(title, fontsize=9, loc="left")


def accuracy_over_steps(arms: dict[str, list[dict]]) -> str:
    """Ioffe & Szegedy's Figure 1(a) redrawn: test accuracy at each probe, per net."""
    with rc_context(WHITEGRID):
        figure = _figure(9.0, 3.0)
        axes = figure.subplots()
        for arm, runs in arms.items():
            _band(axes, arm, *series(runs, _accuracy))
        _steps_axes(axes, "test accuracy", "test accuracy over training (Ioffe & Szegedy, Fig. 1(a))")
        axes.legend(loc="lower right")
        return _svg(figure)


def _warmup_shade(axes, steps) -> None:
    """Shade the probes before the drift window: BN's moving averages still settling there."""
    start = steps[drift_window(steps)[0]]
    if start > steps[0]:
        axes.axvspan(steps[0], start, color="0.5", alpha=0.1, linewidth=0)


def unit_percentiles(arms: dict[str, list[dict]], units: dict[str, int]) -> str:
    """Ioffe & Szegedy's Figure 1(b, c) redrawn: one unit's 15th, 50th and 85th input percentiles over
    steps, one panel per net (``units``: arm -> unit, read from the arm's first seed)."""
    with rc_context(WHITEGRID):
        figure = _figure(9.0, 3.0)
        axes_list = np.atleast_1d(figure.subplots(1, len(units), sharey=True))
        for axes, (arm, unit) in zip(axes_list, units.items()):
            run = first_seed(arms[arm])
            probes = run["extras"]["probes"]
            steps = np.asarray(probes["probe_steps"])
            values = np.asarray(probes["percentiles"]["values"], dtype=float)
            column = probes["percentiles"]["units"].index(unit)
            levels = probes["percentiles"]["levels"]
            _warmup_shade(axes, steps)
            axes.fill_between(steps, values[:, 0, column], values[:, -1, column], color=COLORS[arm], alpha=0.15,
                              linewidth=0)
            for i, level in enumerate(levels):
                axes.plot(steps, values[:, i, column], color=COLORS[arm], linewidth=1.8 if level == 50 else 1.0,
                          linestyle="-" if level == 50 else "--", label=f"{level}th percentile")
            _steps_axes(axes, "sigmoid input" if axes is axes_list[0] else "",
                        f"{arm}: unit {unit}, seed {run['seed']}")
        # Beside the panels (a moving unit's lines leave no free corner), in grey: it keys line styles.
        figure.legend([Line2D([], [], color="0.35", linewidth=1.8 if level == 50 else 1.0,
                              linestyle="-" if level == 50 else "--") for level in levels],
                      [f"{level}th percentile" for level in levels], loc="outside right center")
        return _svg(figure)


def drift_figure(arms: dict[str, list[dict]]) -> str:
    """The percentile drift from the window's start over steps, averaged over units and levels, per
    net (mean over seeds with its band): the quantity IS2 tests, at every probe."""
    with rc_context(WHITEGRID):
        figure = _figure(9.0, 2.8)
        axes = figure.subplots()
        for arm, runs in arms.items():
            _band(axes, arm, *series(runs, drift_over_steps))
        _steps_axes(axes, "mean |percentile change|", "last hidden layer: sigmoid-input percentile drift")
        axes.legend(loc="upper left")
        return _svg(figure)


def _two_panels(arms: dict[str, list[dict]], panels) -> str:
    """One figure of two panels over steps; panels: (values_of, ylabel, title, log) per panel."""
    with rc_context(WHITEGRID):
        figure = _figure(9.0, 3.0)
        for axes, (values_of, ylabel, title, log) in zip(figure.subplots(1, 2), panels):
            drawn = []
            for arm, runs in arms.items():
                steps, values = series(runs, values_of)
                values = _positive(values) if log else values
                drawn.append(values)
                _band(axes, arm, steps, values)
            if log:
                _log_if_positive(axes, *drawn)
            _steps_axes(axes, ylabel, title)
        axes.legend(loc="best")
        return _svg(figure)


def gradient_change(arms: dict[str, list[dict]]) -> str:
    """Santurkar et al.'s Figure 3 redrawn: each layer's gradient change when the layers before it
    take their step, as ||G - G'|| / ||G|| (log axis) and cos(G, G'), mean over the probed layers."""
    return _two_panels(arms, (
        (_relative_change, "||G \u2212 G'|| / ||G||", "relative gradient change (ICS)", True),
        (_cosine, "cos(G, G')", "cosine of G and G'", False),
    ))


def smoothness(arms: dict[str, list[dict]]) -> str:
    """Santurkar et al.'s Figure 4 redrawn: the loss range along the gradient and the effective
    beta-smoothness at each probe, log axes."""
    return _two_panels(arms, (
        (_loss_range, "loss range (max \u2212 min)", "variation of the loss along the gradient", True),
        (_beta, "effective \u03b2-smoothness", "gradient predictiveness: effective \u03b2", True),
    ))


def stable_rates(grid: dict[str, dict[float, list[dict]]]) -> str:
    """The share of seeds whose run passes each of ``RULES`` at each learning rate of LR1's grid, per
    net (solid: LR1's stable, dotted: LR1t's trains)."""
    rates = sorted({rate for by_rate in grid.values() for rate in by_rate})
    with rc_context(WHITEGRID):
        figure = _figure(9.0, 2.8)
        axes = figure.subplots()
        for i, (arm, by_rate) in enumerate(grid.items()):
            # Nudged apart on the log axis, so equal shares of the two nets stay visible.
            nudge = 10 ** (0.03 * (i - (len(grid) - 1) / 2))
            for (what, rule), style in zip(RULES.items(), ("-", ":")):
                shares = shares_passing(by_rate, rule)
                axes.plot([rate * nudge for rate in shares], [k / n for k, n in shares.values()],
                          color=COLORS[arm], marker="os"[i % 2], linestyle=style, linewidth=1.6,
                          label=f"{arm}: {what} (n={max(n for _, n in shares.values())})")
        axes.set_xscale("log")
        axes.xaxis.set_major_locator(FixedLocator(rates))
        axes.xaxis.set_minor_locator(NullLocator())
        axes.set_xticklabels([f"{rate:g}" for rate in rates])
        axes.set_ylim(-0.05, 1.05)
        axes.set_xlabel("learning rate")
        axes.set_ylabel("share of seeds")
        axes.set_title("training stable, and still training, at each learning rate", fontsize=9, loc="left")
        figure.legend(*axes.get_legend_handles_labels(), loc="outside right center")
        return _svg(figure)


def _final_means(arms: dict[str, list[dict]], values_of, digits: int = 3) -> str:
    """Each net's mean over seeds of the value at its last probe, as caption text."""
    finals = []
    for arm, runs in arms.items():
        last = [values_of(run["extras"]["probes"])[-1] for run in runs]
        finals.append(f"{arm} {np.nanmean(last):.{digits}g}" if np.isfinite(last).any() else f"{arm} \u2013")
    return ", ".join(finals)


def _seeds(arms: dict) -> str:
    counts = sorted({len(runs) for runs in arms.values()})
    return f"{'-'.join(map(str, counts))} seed{'s' if counts != [1] else ''}"


BAND = "Lines: mean over seeds; bands: 95% t-interval across seeds (a diverged run drops out from its divergence on)."


def _accuracy_figure(arms) -> dict:
    return {
        "title": "Test accuracy over training (Ioffe & Szegedy, Figure 1(a), redrawn)",
        "caption": f"Test accuracy on the test set at each probe, {_seeds(arms)} per net. {BAND} At the last "
                   f"probe: {_final_means(arms, _accuracy)}. Backs IS1 (higher, and sooner) and ST1.",
        "svg": accuracy_over_steps(arms),
    }


def _percentile_figures(arms) -> list[dict]:
    """Figure 1(b, c) for no BN and BN, then the drift of every unit, every net."""
    shown = {arm: arms[arm] for arm in ARMS[:2] if arm in arms}
    units = {arm: typical_unit(first_seed(runs)["extras"]["probes"]) for arm, runs in shown.items()}
    steps = first_seed(next(iter(arms.values())))["extras"]["probes"]["probe_steps"]
    start = steps[drift_window(steps)[0]]
    n_units = len(first_seed(next(iter(arms.values())))["extras"]["probes"]["percentiles"]["units"])
    picked = "; ".join(f"{arm}: unit {unit}" for arm, unit in units.items())
    window = (f"from step {start:,} (shaded before it: the inference-mode probe reads BN's moving averages, "
              f"still settling there)" if start > steps[0] else "over every probe (the run is shorter than "
              f"the {WARMUP_STEPS:,}-step warm-up IS2 leaves out)")
    return [{
        "title": "A typical unit's input distribution (Ioffe & Szegedy, Figure 1(b, c), redrawn)",
        "caption": f"The 15th, 50th (solid) and 85th percentiles of one last-hidden-layer unit's sigmoid input "
                   f"over the first 1,000 test images (inference mode), at each probe, no BN and BN side by side "
                   f"on one scale. The unit, per net, is chosen on the net's first seed by a fixed rule: the "
                   f"unit whose drift (IS2's metric for one unit: the mean over the three percentiles of "
                   f"|change| {window}) is the median of the layer's {n_units} units (the lower median, "
                   f"{(n_units - 1) // 2 + 1}th smallest): {picked}. Backs IS2.",
        "svg": unit_percentiles(shown, units),
    }, {
        "title": "Percentile drift of the whole layer, over training",
        "caption": f"The mean over the last hidden layer's {n_units} units and the three percentiles of "
                   f"|percentile now \u2212 at step {start:,}|, {_seeds(arms)} per net. {BAND} The last point is "
                   f"IS2's per-seed drift (it compares BN with no BN as a log ratio): "
                   f"{_final_means(arms, drift_over_steps)}.",
        "svg": drift_figure(arms),
    }]


def _gradient_figure(arms) -> dict:
    return {
        "title": "Internal covariate shift as gradient change (Santurkar et al., Figure 3, redrawn)",
        "caption": f"At each probe, for each Dense layer after the first: G, its gradient on the step's batch, "
                   f"and G', the same after the layers before it took that step; left ||G \u2212 G'|| / ||G|| "
                   f"(log axis), right cos(G, G'), each the mean over those layers, {_seeds(arms)} per net. "
                   f"{BAND} Santurkar et al. plot the l2 distance and cosine per layer; here the distance is "
                   f"relative, as ST2 tests it (ST2's metric is its mean over the probes). At the last probe: "
                   f"{_final_means(arms, _relative_change)}.",
        "svg": gradient_change(arms),
    }


def _smoothness_figure(arms) -> dict:
    return {
        "title": "Smoothness of the loss landscape (Santurkar et al., Figure 4, redrawn)",
        "caption": f"At each probe, stepping from the weights along the negative gradient by each declared "
                   f"step size: left the range of the loss (max \u2212 min), right the effective "
                   f"\u03b2-smoothness (max ||gradient change|| / (step \u00d7 ||gradient||)), log axes, "
                   f"{_seeds(arms)} per net. {BAND} ST3 tests each one's mean over the probes. At the last "
                   f"probe, loss range: {_final_means(arms, _loss_range)}; \u03b2: {_final_means(arms, _beta)}.",
        "svg": smoothness(arms),
    }


def _largest_text(by_rate: dict[float, list[dict]], rule) -> str:
    """The seeds' largest rates passing ``rule`` as counts, e.g. '3.16 (11 seeds), 1 (1 seed)'."""
    counts = Counter(largest_passing(by_rate, rule).values())
    return ", ".join(f"{'none' if rate is None else f'{rate:g}'} ({n} seed{'s' if n > 1 else ''})"
                     for rate, n in sorted(counts.items(), key=lambda item: -1 if item[0] is None else item[0],
                                           reverse=True))


def _rates_figure(grid) -> dict:
    largest = " ".join(f"By {what}: " + "; ".join(f"{arm} {_largest_text(by_rate, rule)}" for arm, by_rate in grid.items())
                       + "." for what, rule in RULES.items())
    return {
        "title": "Largest stable learning rate (LR1, LR1t)",
        "caption": "At each learning rate of the grid, the share of seeds whose run passes the claims' rule. Solid, "
                   "stable (LR1, pre-registered): every loss finite and the last probe interval's mean training "
                   "loss below the first step's; dotted, trains (LR1t, added after LR1's ci run): every loss finite "
                   f"and that loss below chance (ln 10 = {CHANCE_LOSS:.3f}), so a net that fell from its initial "
                   f"loss to chance and sits there is stable but does not train. Per seed, the largest rate "
                   f"passing (what the claims compare, as log10): {largest} Santurkar et al. and Bjorck et al. "
                   "report that BN allows larger rates; this is the suite's own grid, not a redrawn figure.",
        "svg": stable_rates(grid),
    }


def _net_figures(by_config: dict[ModelConfig, list[dict]]) -> list[dict]:
    """One network's figures (its arms at the article's rate; its rate grid, if it has one)."""
    arms, grid = main_arms(by_config), rate_grid(by_config)
    found = []
    if arms:
        found.append(_accuracy_figure(arms))
        if any(arm in arms for arm in ARMS[:2]):
            found += _percentile_figures(arms)
        found += [_gradient_figure(arms), _smoothness_figure(arms)]
    if grid:
        found.append(_rates_figure(grid))
    return found


def figures(outcomes: list[dict], runs: dict) -> list[dict]:
    """The section's figures as (title, caption, svg) dicts, per network, each drawn when its nets
    have runs; a title names its network, a caption where BN sits in it.

    outcomes: the family's outcomes (their configurations name the nets); runs: the evidence's runs.
    """
    found = []
    for net, by_config in nets(recorded_runs(outcomes, runs)).items():
        placement = _placement(by_config)
        for figure in _net_figures(by_config):
            found.append({**figure, "title": f"{figure['title']}, {net}",
                          "caption": f"Network: {net}{placement}. {figure['caption']}"})
    return found


def _placement(by_config: dict[ModelConfig, list[dict]]) -> str:
    """Where the network's BN layers sit, as caption text ('' for a network without BN arms)."""
    with_bn = [config for config in by_config if config.bn_layers]
    if not with_bn:
        return ""
    config = with_bn[0]
    where = "before" if config.bn_position == "before" else "after"
    return f"; BN {where} the nonlinearity of its first {config.bn_layers} hidden layer(s)"
