"""Drift on real training (smoke scale): float noise is not drift, a changed BatchNormalization is.

sigmoid-bn0-sgd-bs128 and sigmoid-bn1-sgd-bs128 are trained for 4 seeds as the baseline, then
three "environments" train the same runs in this process:

(a) unchanged: the runs come out bit-identical, so every difference is 0 and nothing drifts;
(b) float noise: every initial weight moved by one float32 ulp (times 1 + 1e-7, a fixed random
    sign per weight), what another backend or instruction set does to the last digits; training
    grows it, yet nothing may be flagged;
(c) a planted regression: BatchNormalization with epsilon 0.1 instead of 0.001, "batch
    statistics computed differently" in one environment; the BN configuration must be flagged
    and the one without BN must not (its runs are the baseline's bit for bit).

At the smoke scale (1,000 images, 2 epochs, 16 updates) neither net has left its plateau: every
run's final test accuracy is 0.126 (one class), so the accuracy rows do not move in any case; the
losses do, and (c) shows on the BN net's log final test loss (measured: +2.5e-4, 95% CI
[+2.3e-4, +2.7e-4], Holm p 2.4e-4; float noise moved the losses by about 1e-8). About 70 s on the
loaded 2-core machine: 32 runs and four compilations of the epoch loop.
"""

from __future__ import annotations

import numpy as np
import pytest

from fixtures.training import models, trainer
from fixtures.training.data import load_mnist, subset
from fixtures.training.models import ModelConfig
from fixtures.training.scales import SCALES
from reports.drift import drift_table

SMOKE = SCALES["smoke"]
CONFIGS = [ModelConfig("sigmoid", bn_layers=0), ModelConfig("sigmoid", bn_layers=1)]
SEEDS = range(4)
BN0, BN1 = (config.label for config in CONFIGS)


def evidence(runs: dict) -> dict:
    import keras  # after the plugin has chosen the backend

    return {"environment": {"versions": {"keras": keras.__version__}},
            "settings": {"scale": SMOKE.to_dict(), "scale_label": SMOKE.label}, "runs": runs}


def ulp_noise(weights: list[np.ndarray]) -> list[np.ndarray]:
    """Each float32 weight times 1 + 1e-7 s, s a fixed random sign, rounded back to float32: a
    move of exactly one ulp for every nonzero weight (1e-7 exceeds half an ulp, at most 6e-8
    relative, and is below 1.5 ulps), zeros untouched."""
    rng = np.random.default_rng(20240611)
    return [(w.astype(np.float64) * (1 + 1e-7 * rng.choice([-1.0, 1.0], size=w.shape))).astype(w.dtype)
            for w in weights]


@pytest.fixture(scope="module")
def environments(mnist_path):
    """{"baseline" | "unchanged" | "float noise" | "BN epsilon 0.1": evidence dict}."""
    import keras

    data = subset(load_mnist(mnist_path), SMOKE.train_size, SMOKE.test_size)

    def train() -> dict:
        return {c.label: [trainer.train_run(c, seed, SMOKE, data=data).to_dict() for seed in SEEDS] for c in CONFIGS}

    trainer._epoch_loop.cache_clear()  # compiled loops of other tests may hold other weights' shapes
    try:
        found = {"baseline": train(), "unchanged": train()}
        initial_weights = trainer.initial_weights
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(trainer, "initial_weights", lambda config, seed: ulp_noise(initial_weights(config, seed)))
            found["float noise"] = train()
        trainer._epoch_loop.cache_clear()  # the BN net must be rebuilt with the planted layer
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(models, "batch_normalization", lambda: keras.layers.BatchNormalization(epsilon=0.1))
            found["BN epsilon 0.1"] = train()
    finally:
        trainer._epoch_loop.cache_clear()  # no planted layer left in the cache for later tests
    return {name: evidence(runs) for name, runs in found.items()}


def table_for(environments, name: str, record_property):
    table = drift_table(environments[name], environments["baseline"])
    record_property("drift_table", table.markdown())
    print(f"\n{name}:\n{table.markdown()}{table.summary()}")
    return table


def test_an_unchanged_environment_is_bit_identical_and_flags_nothing(environments, record_property):
    table = table_for(environments, "unchanged", record_property)
    assert len(table.rows) == 6 and not table.drifted
    assert all(row.difference == 0.0 and row.pvalue == 1.0 and row.n == 4 for row in table.rows)


def test_float_noise_flags_nothing(environments, record_property):
    table = table_for(environments, "float noise", record_property)
    assert len(table.rows) == 6 and not table.drifted
    # The noise did reach the numbers (else this case would test nothing), at the last digits.
    assert any(row.difference != 0.0 for row in table.rows)
    assert all(abs(row.difference) < 1e-5 for row in table.rows)


def test_a_planted_batch_normalization_change_is_flagged(environments, record_property):
    table = table_for(environments, "BN epsilon 0.1", record_property)
    assert {row.config for row in table.drifted} == {BN1}
    assert all(row.difference == 0.0 and row.pvalue == 1.0 for row in table.rows if row.config == BN0)
