"""Per-run numbers recomputed from the stored runs, for the report's tables, figures and comparisons.

The claims' own statistics live in the evidence (each outcome's ``summary``); these are the plain
per-run values behind them, computed by the suite's own ``fixtures/claims/metrics.py`` (which loads no
TensorFlow): "speed" is the mean training loss over the epochs, "effect" the test accuracy after
the last epoch, and a diverged run counts at the worst value there as in the claims' tests.

``accuracy_difference_error`` bounds the test-set sampling error of an accuracy effect, which
the claims' seed-to-seed intervals leave out.

A run here is one RunResult dict from the evidence's ``runs`` (one configuration, one seed).
"""

from __future__ import annotations

import math

import numpy as np

from fixtures.claims import metrics as suite_metrics
from fixtures.training.results import RunResult
from fixtures.stats.mean_difference import t_interval


def config_label(config: dict) -> str:
    """The suite's label of a model configuration, e.g. ``sigmoid-bn1-sgd-bs128``."""
    return f"{config['activation']}-bn{config['bn_layers']}-{config['optimizer']}-bs{config['batch_size']}"


# The suite's own metrics on a run dict from the evidence: the report shows the numbers the
# claims were tested on, a diverged run counted at the worst value as in the claims.
def mean_train_loss(run: dict) -> float:
    return suite_metrics.mean_train_loss(RunResult.from_dict(run))


def final_train_loss(run: dict) -> float:
    return suite_metrics.final_train_loss(RunResult.from_dict(run))


def mean_test_accuracy(run: dict) -> float:
    return suite_metrics.mean_test_accuracy(RunResult.from_dict(run))


def final_test_accuracy(run: dict) -> float:
    return suite_metrics.final_test_accuracy(RunResult.from_dict(run))


def train_seconds(run: dict) -> float:
    """Wall seconds the run's training took, as recorded when it was trained (NaN epochs skipped)."""
    return float(np.nansum(np.asarray(run["epoch_seconds"], dtype=float)))


# The per-seed values the nightly comparison tracks for every configuration a claim uses: the
# two the claims' tests are built on.
HEADLINE_METRICS = {
    "mean training loss": mean_train_loss,
    "final test accuracy": final_test_accuracy,
}


def per_seed(runs: list[dict], metric) -> np.ndarray:
    """``metric`` of each run, shape (n_seeds,), in the runs' order."""
    return np.array([metric(run) for run in runs], dtype=float)


def curves(runs: list[dict], key: str) -> np.ndarray:
    """One per-epoch series per run, shape (n_seeds, n_epochs); shorter series padded with NaN."""
    n_epochs = max((len(run[key]) for run in runs), default=0)
    out = np.full((len(runs), n_epochs), np.nan)
    for i, run in enumerate(runs):
        out[i, : len(run[key])] = run[key]
    return out


def mean_band(values: np.ndarray, *, confidence_level: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-column mean and t-interval across seeds, for values of shape (n_seeds, n_epochs).

    Each column uses only its finite values, so a seed that diverged drops out from its
    divergence on (the figure's caption says which). With fewer than two finite values the band
    is NaN (no spread to estimate); with none the mean is NaN too.
    Returns (mean, low, high), each shape (n_epochs,).
    """
    n_columns = values.shape[1]
    mean, low, high = (np.full(n_columns, np.nan) for _ in range(3))
    for j in range(n_columns):
        column = values[:, j][np.isfinite(values[:, j])]
        if len(column) == 0:
            continue
        mean[j] = column.mean()
        if len(column) >= 2:
            standard_error = column.std(ddof=1) / math.sqrt(len(column))
            low[j], high[j] = t_interval(mean[j], standard_error, len(column) - 1, confidence_level)
    return mean, low, high


def accuracy_difference_error(accuracy_a: float, accuracy_b: float, test_size: int) -> float:
    """An upper bound on the test-set sampling error (standard error) of a difference of accuracies.

    ``sqrt(pa (1 - pa) / n + pb (1 - pb) / n)`` with ``n = test_size``: each accuracy is a share of
    n test images, so it estimates the accuracy on the population of such images with binomial
    standard error ``sqrt(p (1 - p) / n)``. The seed-to-seed CI of a claim does not contain this
    error: every seed is scored on the same test images. Both accuracies are measured on those same
    images, so their errors are positively correlated and the difference's error is no larger than
    the independent sum computed here: read the value as "at most". NaN for an accuracy outside
    [0, 1] (or not finite) or a test size below 1.
    """
    accuracies = (accuracy_a, accuracy_b)
    if not all(isinstance(p, (int, float)) and 0 <= p <= 1 for p in accuracies):
        return math.nan
    if not (isinstance(test_size, (int, float)) and test_size >= 1):
        return math.nan
    return math.sqrt(sum(p * (1 - p) for p in accuracies) / test_size)
