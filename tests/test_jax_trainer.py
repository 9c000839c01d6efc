"""The JAX ``scan`` trainer (``fixtures/training/jax_loop.py``) against plain ``model.fit`` on the
JAX backend, as ``tests/test_training.py`` holds TensorFlow's ``xla`` trainer equal to ``fit``;
its reruns; and several seeds trained together with ``jax.vmap``."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("jax", reason="the scan trainer runs in the jax environment, whose tox -e jax runs this module first")

from fixtures.training.backend import active_backend  # noqa: E402 (imports no Keras)

if active_backend() != "jax":
    pytest.skip("the scan trainer needs Keras's JAX backend: run with --backend jax", allow_module_level=True)

from fixtures.stats import Verdict, equivalence  # noqa: E402
from fixtures.training.models import ModelConfig  # noqa: E402
from fixtures.training.trainer import batch_orders, initial_weights, train_run  # noqa: E402
# test_training's helpers: the smoke data, the final-metric margins, the seeds and fit's finals.
from tests.test_training import FINAL_MARGINS, SEEDS, SMOKE, fit_finals, smoke_data  # noqa: E402,F401

CURVES = ("train_loss", "train_accuracy", "test_loss", "test_accuracy")


# Both trainers see the same weights and batch order (batch 96: 10 full batches and a partial one
# of 40 per 1,000-image epoch); what is left is float32 round-off in another op order. Observed on
# JAX 0.10.2 CPU (2026-11-29): at most 2.4e-7 over every curve of the six configurations. 1e-5, as
# for the xla trainer, still catches a real difference (a skipped BN moving-statistics update or
# a dropped partial batch moves these numbers by 1e-3 or more).
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("bn_layers", [0, 1, 4])
def test_scan_trainer_matches_model_fit(smoke_data, optimizer, bn_layers):
    config = ModelConfig("sigmoid", bn_layers=bn_layers, optimizer=optimizer, batch_size=96)
    scan = train_run(config, 1, SMOKE, data=smoke_data, trainer="scan")
    fit = train_run(config, 1, SMOKE, data=smoke_data, trainer="fit")
    for name in CURVES:
        np.testing.assert_allclose(getattr(scan, name), getattr(fit, name), atol=1e-5, err_msg=name)
    # The probes read the model the trainer returns: the trained weights were assigned back.
    np.testing.assert_allclose(scan.extras["saturation_by_epoch"], fit.extras["saturation_by_epoch"], atol=1e-4)


@pytest.mark.parametrize(
    "optimizer, expected",
    [("sgd", Verdict.SUPPORTED), ("adam", Verdict.REFUTED)],  # the same config; a planted other one
    ids=["same-config", "planted-difference"],
)
def test_scan_trainer_is_equivalent_to_fit_across_seeds(smoke_data, fit_finals, optimizer, expected):
    scan = [train_run(ModelConfig("sigmoid", bn_layers=1, optimizer=optimizer), seed, SMOKE, data=smoke_data,
                      trainer="scan") for seed in SEEDS]
    for name, margin in FINAL_MARGINS.items():
        result = equivalence([getattr(run, name)[-1] for run in scan], fit_finals[name],
                             margin=margin, paired=True, labels=("scan", "fit"))
        assert result.verdict == expected, result.message


def test_scan_reruns_are_bit_identical(smoke_data):
    from fixtures.training import jax_loop

    config = ModelConfig("sigmoid", bn_layers=1, optimizer="adam", batch_size=96)
    first = train_run(config, 3, SMOKE, data=smoke_data, trainer="scan")
    jax_loop.scan_loop.cache_clear()  # the second run compiles its own epoch afresh
    second = train_run(config, 3, SMOKE, data=smoke_data, trainer="scan")
    for name in CURVES:
        assert getattr(first, name) == getattr(second, name), name
    assert first.extras["layers"] == second.extras["layers"]


@pytest.mark.parametrize("trainer", ["scan", "fit"])
def test_a_checkpointed_run_trains_as_the_plain_run(smoke_data, trainer):
    """An epoch trained in parts (L1's checkpoints) makes the plain epoch's steps on JAX too."""
    from dataclasses import replace

    config = ModelConfig("sigmoid", bn_layers=1, optimizer="sgd", batch_size=96)
    plain = train_run(config, 2, SMOKE, data=smoke_data, trainer=trainer)
    read = train_run(replace(config, checkpoints=3), 2, SMOKE, data=smoke_data, trainer=trainer)
    for name in CURVES:
        np.testing.assert_allclose(getattr(read, name), getattr(plain, name), atol=1e-6, err_msg=name)
    marks = read.extras["checkpoints"]
    assert marks["step"] == [4, 7, 11, 15, 18, 22]  # 11 steps an epoch (10 full, 1 partial), in parts of 4, 3, 4
    assert [marks["test_loss"][i] for i in (2, 5)] == list(read.test_loss)


@pytest.mark.parametrize("bn_layers", [0, 1])
def test_vmapped_seeds_match_one_at_a_time(smoke_data, bn_layers):
    from fixtures.training.jax_loop import train_seeds

    config = ModelConfig("sigmoid", bn_layers=bn_layers, optimizer="sgd", batch_size=96)
    seeds = (0, 1, 2)
    n = smoke_data.x_train.shape[0]
    together = train_seeds(config, [initial_weights(config, seed) for seed in seeds],
                           [batch_orders(seed, n, SMOKE.epochs) for seed in seeds], smoke_data)
    for i, seed in enumerate(seeds):
        alone = train_run(config, seed, SMOKE, data=smoke_data, trainer="scan")
        for name in CURVES:
            # Batched matmuls may sum in another order: float32 round-off only, well within 1e-6 here.
            np.testing.assert_allclose(together[name][i], getattr(alone, name), atol=1e-6, err_msg=f"{name} seed {seed}")
    # The seeds really differ: vmap did not train one seed three times.
    assert len({tuple(curve) for curve in together["train_loss"]}) == len(seeds)
