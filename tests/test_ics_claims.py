"""The ICS family's claim layer: recorded runs as RunResults (fixtures/training/ics/runs.py), the
per-seed metrics read from their probes (fixtures/claims/mechanism.py), the family's scales, and
each claim of claims/test_ics.py judged on planted runs, true and false.

Planted runs are built from records whose answers are known by construction (a drift of 0.5, a
gradient change of 10%), so a metric that reads the wrong probe, level or layer fails here.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from claims.test_ics import (ARTICLE_BN, ARTICLE_PLAIN, BN, IS1, IS2, LR1, NOISY, PLAIN, RATES, ST1, ST2, ST3,
                              IS2a, LR1t, ST2a, ST3a, at_rate)
from fixtures.claims.decisions import evaluate, raw_verdict
from fixtures.claims.mechanism import (
    WARMUP_STEPS,
    log10_largest_stable_rate,
    log_beta_smoothness,
    log_gradient_shift,
    log_loss_range,
    log_percentile_drift,
    mean_gradient_cosine,
    stable,
    trains,
)
from fixtures.training.ics.runs import as_run_result, probe_schedule
from fixtures.training.ics.scales import ICS_SCALES, ics_scale
from fixtures.training.scales import resolve_scale

SCALE = ICS_SCALES["ci"]  # 10,000 steps probed every 500: 21 probes, 20 intervals
PROBES = probe_schedule(SCALE)


def record(seed=0, *, accuracy=0.9, drift=0.5, shift=0.1, loss_range=0.2, beta=5.0, losses=None,
           diverged_at=None, config=PLAIN):
    """A record as ``record_probes`` writes it: percentiles that move linearly by ``drift`` over
    the window from WARMUP_STEPS (and wildly before it, which must not count), gradient changes
    of ``shift`` x ||G||, a constant loss range and beta, accuracy rising to ``accuracy``."""
    steps = [t for t in PROBES if diverged_at is None or t <= diverged_at]
    n = len(steps)
    base = np.arange(3 * 4, dtype=float).reshape(3, 4)  # 3 levels x 4 units
    values = []
    for t in steps:
        moved = drift * max(0, t - WARMUP_STEPS) / (SCALE.steps - WARMUP_STEPS)
        values.append((base + moved + (50.0 if t < WARMUP_STEPS else 0.0)).tolist())
    train_loss = losses if losses is not None else list(np.linspace(2.3, 0.2, SCALE.steps))
    return {
        "config": config.to_dict(), "label": config.label, "seed": seed, "steps": SCALE.steps,
        "batch_size": 60, "diverged_at": diverged_at, "train_loss": train_loss[:diverged_at],
        "probe_steps": steps, "test_loss": [0.3] * n,
        "test_accuracy": list(np.linspace(0.1, accuracy, n)),
        "percentiles": {"levels": [15, 50, 85], "units": [0, 1, 2, 3], "values": values},
        "ics": {"layers": [1, 2, 3], "l2": [[shift * 2.0] * 3] * n, "cosine": [[0.99, None, 0.97]] * n,
                "norm": [[2.0, 2.0, 0.0]] * n},
        "smoothness": {"etas": [0.01, 0.1, 1.0], "loss": [[1, 1, 1]] * n, "grad_change": [[0, 0, 0]] * n,
                       "loss_range": [loss_range] * n, "max_grad_change": [1.0] * n,
                       "beta": [None] + [beta] * (n - 1), "loss_start": [1.0] * n, "grad_norm": [1.0] * n},
    }


def run(seed=0, **kwargs):
    return as_run_result(record(seed, **kwargs), SCALE, seconds=20.0)


def test_a_recorded_run_reads_its_curve_at_the_probes():
    result = run()
    assert result.epochs == len(PROBES) - 1 == 20
    losses = np.linspace(2.3, 0.2, SCALE.steps)
    assert result.train_loss[0] == pytest.approx(losses[:500].mean())  # steps 0..499, before probe 500
    assert result.train_loss[-1] == pytest.approx(losses[9_500:].mean())
    assert result.test_accuracy[-1] == pytest.approx(0.9) and math.isnan(result.train_accuracy[0])
    assert result.budget == SCALE.run_budget() and "steps" in result.budget and "epochs" not in result.budget
    assert "train_loss" not in result.extras["probes"] and result.extras["probes"]["first_loss"] == pytest.approx(2.3)
    assert sum(result.epoch_seconds) == pytest.approx(20.0)


def test_a_diverged_run_ends_in_the_interval_of_its_step():
    result = run(diverged_at=1_234)  # probes 0, 500, 1000 recorded; intervals 3.. missing
    assert result.diverged_epoch == 3  # 1,234 lies in (1,000, 1,500]
    assert math.isnan(result.test_accuracy[2]) and not math.isnan(result.test_accuracy[1])
    assert not stable(result)


def test_metrics_read_what_was_planted():
    result = run(drift=0.5, shift=0.1, loss_range=0.2, beta=5.0)
    assert log_percentile_drift(result) == pytest.approx(math.log(0.5))  # the +50 before step 1,000 left out
    assert log_gradient_shift(result) == pytest.approx(math.log(0.1))  # the layer with ||G|| = 0 left out
    assert mean_gradient_cosine(result) == pytest.approx(0.98)  # None left out
    assert log_loss_range(result) == pytest.approx(math.log(0.2))
    assert log_beta_smoothness(result) == pytest.approx(math.log(5.0))  # None (g = 0) left out


def test_stability_and_the_largest_stable_rate():
    rising = list(np.linspace(2.3, 3.0, SCALE.steps))  # ends worse than it started
    by_rate = {0.01: run(), 0.1: run(), 1.0: run(losses=rising), 10.0: run(diverged_at=700)}
    assert [stable(r) for r in by_rate.values()] == [True, True, False, False]
    assert log10_largest_stable_rate(by_rate) == pytest.approx(-1.0)
    assert log10_largest_stable_rate({0.01: run(losses=rising)}) == pytest.approx(-2.5)  # below the grid


def test_a_net_that_fell_to_chance_is_stable_but_does_not_train():
    # LR1's artifact at ci: from Keras's initial loss (about 2.54, above chance) down to chance
    to_chance = list(np.linspace(2.54, 2.36, SCALE.steps))
    assert stable(run(losses=to_chance)) and not trains(run(losses=to_chance))
    assert trains(run()) and not trains(run(diverged_at=700))
    by_rate = {0.01: run(), 1.0: run(), 3.16: run(losses=to_chance)}
    assert log10_largest_stable_rate(by_rate) == pytest.approx(math.log10(3.16))
    assert log10_largest_stable_rate(by_rate, trains) == pytest.approx(0.0)


def test_an_epoch_run_has_no_probes():
    from fixtures.training.results import RunResult

    epoch_run = RunResult({}, 0, {}, "xla", (1.0,), (0.5,), (1.0,), (0.5,), (1.0,))
    with pytest.raises(ValueError, match="not a recorded run"):
        log_percentile_drift(epoch_run)


def test_the_family_scale_follows_the_session_scale():
    assert ics_scale(resolve_scale("ci")) == ICS_SCALES["ci"]
    fixed = ics_scale(resolve_scale("article", seeds=4))
    assert fixed.steps == 50_000 and fixed.seeds == (0, 1, 2, 3) and fixed.looks == () and fixed.label == "article[seeds=4]"
    assert ics_scale(resolve_scale("ci", epochs=2)) == ICS_SCALES["ci"]  # --epochs does not apply to steps


class Planted:
    """``seeds(config)`` over planted runs, as a ClaimRuns gives them."""

    def __init__(self, by_config):
        self.by_config = by_config
        self.configs = []

    def seeds(self, config):
        return self.by_config[config]

    def diverged(self):
        return []


SEEDS = range(6)
JITTER = np.linspace(-0.01, 0.01, len(SEEDS))


def arms(**by_config):
    """config -> 6 planted seeds from record() keywords, with a little spread over seeds."""
    planted = {}
    for config, kwargs in by_config.items():
        planted[config] = [run(seed, **{k: v * (1 + j) if isinstance(v, float) else v for k, v in kwargs.items()})
                           for seed, j in zip(SEEDS, JITTER)]
    return Planted(planted)


NAMES = {"PLAIN": PLAIN, "BN": BN, "NOISY": NOISY, "A_PLAIN": ARTICLE_PLAIN, "A_BN": ARTICLE_BN}


def planted(**kwargs_by_name):
    return arms(**{name: kwargs for name, kwargs in kwargs_by_name.items()}).by_config


def judged(claim, **by_name):
    runs = Planted({NAMES[name]: seeds for name, seeds in planted(**by_name).items()})
    return raw_verdict(evaluate(claim, runs))


@pytest.mark.parametrize("claim, true, false", [
    (IS1, dict(BN=dict(accuracy=0.97), PLAIN=dict(accuracy=0.90)), dict(BN=dict(accuracy=0.90), PLAIN=dict(accuracy=0.97))),
    (IS2, dict(BN=dict(drift=0.1), PLAIN=dict(drift=1.0)), dict(BN=dict(drift=0.9), PLAIN=dict(drift=1.0))),
    (ST1, dict(NOISY=dict(accuracy=0.95), BN=dict(accuracy=0.952), PLAIN=dict(accuracy=0.90)),
          dict(NOISY=dict(accuracy=0.91), BN=dict(accuracy=0.96), PLAIN=dict(accuracy=0.90))),
    (ST2, dict(BN=dict(shift=0.2), PLAIN=dict(shift=0.1)), dict(BN=dict(shift=0.05), PLAIN=dict(shift=0.1))),
    (ST3, dict(BN=dict(loss_range=0.1, beta=2.0), PLAIN=dict(loss_range=0.2, beta=5.0)),
          dict(BN=dict(loss_range=0.1, beta=9.0), PLAIN=dict(loss_range=0.2, beta=5.0))),
    # The same claims on the article's net read the article's nets, not the paper's.
    (IS2a, dict(A_BN=dict(drift=0.1), A_PLAIN=dict(drift=1.0)), dict(A_BN=dict(drift=0.9), A_PLAIN=dict(drift=1.0))),
    (ST2a, dict(A_BN=dict(shift=0.2), A_PLAIN=dict(shift=0.1)), dict(A_BN=dict(shift=0.05), A_PLAIN=dict(shift=0.1))),
    (ST3a, dict(A_BN=dict(loss_range=0.1, beta=2.0), A_PLAIN=dict(loss_range=0.2, beta=5.0)),
           dict(A_BN=dict(loss_range=0.1, beta=9.0), A_PLAIN=dict(loss_range=0.2, beta=5.0))),
])
def test_each_claim_holds_on_true_data_and_fails_on_false(claim, true, false):
    assert judged(claim, **true) == "supported"
    assert judged(claim, **false) == "refuted"


def test_lr1_holds_when_bn_survives_larger_rates_and_fails_when_it_does_not():
    rising = list(np.linspace(2.3, 3.0, SCALE.steps))

    def nets(bn_limit, plain_limit):
        runs = {}
        for config, limit in ((BN, bn_limit), (PLAIN, plain_limit)):
            for rate in RATES:
                runs[at_rate(config, rate)] = [run(seed) if rate <= limit else run(seed, losses=rising) for seed in SEEDS]
        return Planted(runs)

    assert raw_verdict(evaluate(LR1, nets(3.16, 0.316))) == "supported"
    assert raw_verdict(evaluate(LR1, nets(0.1, 0.316))) == "refuted"
    assert raw_verdict(evaluate(LR1t, nets(3.16, 0.316))) == "supported"
    assert raw_verdict(evaluate(LR1t, nets(0.1, 0.316))) == "refuted"
    # Equal in every seed: zero variance exactly at the margin, which the t-test's limit cannot
    # order ("no evidence either way"): said, not counted as either.
    assert raw_verdict(evaluate(LR1, nets(0.316, 0.316))) == "inconclusive"


def test_the_papers_scale_probes_where_the_drift_window_starts():
    """IS2 reads from the first probe at or after WARMUP_STEPS: every scale that runs that long
    must probe there, or its window starts later than ci's (the papers' scale's did, at 2,500)."""
    for name, scale in ICS_SCALES.items():
        if scale.steps > WARMUP_STEPS:
            assert WARMUP_STEPS in probe_schedule(scale), name
    assert ICS_SCALES["article"].run_budget()["probe_also"] == [1_000]
    assert "probe_also" not in ICS_SCALES["ci"].run_budget()  # ci's keys as before
