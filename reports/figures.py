"""The report's figures, each a function from evidence data to an inline SVG string.

Figures are drawn on a figure of their own with the Agg canvas attached (no pyplot, so nothing
global changes in the process that calls us, pytest included) and written as SVG with text kept
as text (``svg.fonttype = 'none'``): small, sharp, and nothing for the page to fetch. The style
imitates seaborn's 'whitegrid', which the article's figures used.
"""

from __future__ import annotations

import io
import math

import numpy as np
from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from scipy import stats

from reports.metrics import curves, mean_band

# seaborn's "deep" palette, in its order.
PALETTE = ["#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3",
           "#937860", "#DA8BC3", "#8C8C8C", "#CCB974", "#64B5CD"]

WHITEGRID = {
    "svg.fonttype": "none",
    "font.size": 9,
    "font.family": "sans-serif",
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "axes.edgecolor": "0.8",
    "axes.linewidth": 1.0,
    "axes.grid": True,
    "axes.axisbelow": True,
    "axes.labelcolor": "0.15",
    "grid.color": "0.88",
    "grid.linewidth": 0.8,
    "xtick.color": "0.15",
    "ytick.color": "0.15",
    "xtick.major.size": 0,
    "ytick.major.size": 0,
    "legend.frameon": False,
    "legend.fontsize": 8,
}

# Drop matplotlib's Dublin Core block: it names URLs (harmless, but the page should name none).
NO_METADATA = {"Creator": None, "Date": None, "Format": None, "Type": None}

# Sigmoid outputs below / above these count as saturated (as in fixtures/training/probes.py).
SATURATION = (0.05, 0.95)


def _figure(width: float, height: float) -> Figure:
    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _svg(figure: Figure) -> str:
    """The figure as an ``<svg>`` element, without the XML prologue and DOCTYPE before it."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata=NO_METADATA)
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def loss_curves(runs_by_label: dict[str, list[dict]]) -> str:
    """The article's figure, redrawn: training loss per epoch per configuration, beside test accuracy.

    runs_by_label: configuration label -> its runs (one per seed). Each line is the seed mean,
    the band its 95% t-interval across seeds.
    """
    with rc_context(WHITEGRID):
        figure = _figure(9.0, 3.1)
        loss_axes, accuracy_axes = figure.subplots(1, 2)
        for axes, key, ylabel, title in (
            (loss_axes, "train_loss", "Loss", "training loss (the article's figure)"),
            (accuracy_axes, "test_accuracy", "test accuracy", "test accuracy (the suite's second metric)"),
        ):
            for i, (label, runs) in enumerate(runs_by_label.items()):
                mean, low, high = mean_band(curves(runs, key))
                epochs = np.arange(1, len(mean) + 1)
                color = PALETTE[i % len(PALETTE)]
                axes.plot(epochs, mean, color=color, marker="o", markersize=3, linewidth=1.6,
                          label=f"{label} (n={len(runs)})")
                axes.fill_between(epochs, low, high, color=color, alpha=0.18, linewidth=0)
            axes.set_xlabel("epochs")
            axes.set_ylabel(ylabel)
            axes.set_title(title, fontsize=9, loc="left")
            axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        accuracy_axes.legend(loc="center left", bbox_to_anchor=(1.02, 0.5))
        return _svg(figure)


def _tost_interval(part: dict) -> tuple[float, float] | None:
    """The (1 - 2 alpha) interval that decides a TOST at the part's alpha: inside +-margin = equivalent."""
    se, df, alpha = part.get("standard_error"), part.get("df"), part.get("alpha")
    if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in (se, df, alpha)) or df <= 0:
        return None
    half = stats.t.ppf(1 - alpha, df) * se
    return part["difference"] - half, part["difference"] + half


def margin_intervals(parts: list[tuple[str, dict]]) -> str:
    """Each equivalence part's difference and intervals drawn against its +-margin.

    parts: (name, equivalence summary) pairs. The thick bar is the (1 - 2 alpha) interval that
    decides the TOST (equivalence is supported when it lies inside the margin); the thin bar the
    95% interval the tables quote.
    """
    with rc_context(WHITEGRID):
        figure = _figure(9.0, 0.35 + 0.72 * len(parts))
        axes_list = np.atleast_1d(figure.subplots(len(parts), 1))
        for axes, (name, part) in zip(axes_list, parts):
            margin, difference = part["margin"], part["difference"]
            axes.axvspan(-margin, margin, color=PALETTE[2], alpha=0.12, linewidth=0)
            for edge in (-margin, margin):
                axes.axvline(edge, color=PALETTE[2], linestyle="--", linewidth=1)
            low, high = part["confidence_interval"]
            axes.plot([low, high], [0, 0], color="0.35", linewidth=1.2, label="95% CI")
            tost = _tost_interval(part)
            if tost is not None:
                axes.plot(tost, [0, 0], color=PALETTE[0], linewidth=4, solid_capstyle="butt",
                          label=f"{1 - 2 * part['alpha']:.0%} CI (decides the TOST)")
            axes.plot([difference], [0], marker="o", color=PALETTE[3], markersize=5, label="difference")
            # Symmetric about 0, so the margin sits in the middle.
            span = 1.15 * max((abs(v) for v in (margin, low, high, difference) if math.isfinite(v)), default=0)
            if span == 0:
                span = 1.0  # everything is exactly 0: any range shows that (an empty one warns)
            axes.set_xlim(-span, span)
            axes.set_yticks([])
            axes.set_title(f"{name}: margin \u00b1{margin:g}, {part['verdict']}", fontsize=8.5, loc="left")
        axes_list[0].legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=3)
        return _svg(figure)


def level_means(parts: list[tuple[str, dict]]) -> str:
    """Each trend or best-of part's mean per level (layers, batch sizes), level by level."""
    with rc_context(WHITEGRID):
        figure = _figure(9.0, 2.6)
        axes_list = np.atleast_1d(figure.subplots(1, len(parts)))
        for axes, (name, part) in zip(axes_list, parts):
            levels = [str(level) for level in part["levels"]]
            axes.plot(levels, part["level_means"], marker="o", color=PALETTE[0], linewidth=1.6)
            axes.set_xlabel("level")
            axes.set_title(f"{name}\n{part.get('alternative', '')} \u2192 {part['verdict']}", fontsize=8.5, loc="left")
        axes_list[0].set_ylabel("mean over seeds")
        return _svg(figure)


def epoch_timings(epoch_seconds: dict[str, dict[str, list[float]]]) -> str:
    """Seconds per training epoch against batch size, one point per benchmark round.

    epoch_seconds: {"bn0": {"4": [seconds per round], "64": [...]}, "bn1": {...}}, as the D6
    benchmark stores it in ``extra_info``.
    """
    names = {"bn0": "no BN", "bn1": "BN"}
    all_sizes = sorted({int(size) for by_size in epoch_seconds.values() for size in by_size if by_size[size]})
    with rc_context(WHITEGRID):
        figure = _figure(9.0, 2.8)
        axes = figure.subplots()
        for i, (key, by_size) in enumerate(sorted(epoch_seconds.items())):
            sizes = sorted((size for size in by_size if by_size[size]), key=int)
            color = PALETTE[i % len(PALETTE)]
            for size in sizes:
                axes.scatter([int(size)] * len(by_size[size]), by_size[size], s=10, color=color,
                             alpha=0.5, linewidths=0)
            n_rounds = max(len(rounds) for rounds in by_size.values())
            axes.plot([int(size) for size in sizes], [np.mean(by_size[size]) for size in sizes],
                      color=color, marker="o", linewidth=1.6,
                      label=f"{names.get(key, key)} (mean of {n_rounds} rounds)")
        axes.set_xscale("log", base=2)
        axes.set_xticks(all_sizes, [str(size) for size in all_sizes])
        axes.minorticks_off()
        axes.set_xlabel("batch size")
        axes.set_ylabel("seconds per epoch")
        axes.legend()
        return _svg(figure)


def _summed_histogram(runs: list[dict], layer: int) -> tuple[np.ndarray, np.ndarray] | None:
    """One layer's histogram summed over seeds, or None if the seeds' bin edges differ."""
    histograms = [run["extras"]["layers"][layer]["histogram"] for run in runs]
    edges = np.asarray(histograms[0]["edges"], dtype=float)
    if any(len(h["edges"]) != len(edges) or not np.allclose(h["edges"], edges) for h in histograms):
        return None
    return edges, np.sum([h["counts"] for h in histograms], axis=0)


def layer_histograms(with_bn: list[dict], without_bn: list[dict]) -> str:
    """Each hidden layer's test-time outputs with and without BN, summed over seeds.

    with_bn, without_bn: the runs (one per seed) of the two models, each with
    ``extras.layers`` (per hidden layer: histogram and saturated share).
    """
    n_layers = min(len(with_bn[0]["extras"]["layers"]), len(without_bn[0]["extras"]["layers"]))
    with rc_context(WHITEGRID):
        figure = _figure(9.0, 2.7)
        axes_list = np.atleast_1d(figure.subplots(1, n_layers, sharey=True))
        for layer, axes in enumerate(axes_list):
            shares = []
            for i, (name, runs) in enumerate((("BN", with_bn), ("no BN", without_bn))):
                saturated = np.mean([run["extras"]["layers"][layer]["saturated"] for run in runs])
                shares.append(f"{name} {saturated:.1%}")
                summed = _summed_histogram(runs, layer)
                if summed is not None:
                    edges, counts = summed
                    axes.stairs(counts / max(counts.sum(), 1), edges, color=PALETTE[i], linewidth=1.6, label=name)
            low, high = SATURATION
            axes.axvspan(axes.get_xlim()[0], low, color="0.5", alpha=0.12, linewidth=0)
            axes.axvspan(high, max(axes.get_xlim()[1], high), color="0.5", alpha=0.12, linewidth=0)
            axes.set_title(f"hidden layer {layer + 1}, saturated:\n{', '.join(shares)}", fontsize=8.5, loc="left")
            axes.set_xlabel("output")
        figure.legend(*axes_list[0].get_legend_handles_labels(), loc="outside right center")
        axes_list[0].set_ylabel("share of outputs")
        return _svg(figure)
