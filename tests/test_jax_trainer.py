"""The JAX ``scan`` trainer (``fixtures/training/jax_loop.py``) against plain ``model.fit`` on the
JAX backend, as ``tests/test_training.py`` holds TensorFlow's ``xla`` trainer equal to ``fit``;
its reruns; and several seeds trained together with ``jax.vmap`` (the ``vscan`` trainer), each
in its fixed block of seeds."""

from __future__ import annotations

import numpy as np
import pytest

from tests.prerequisites import skip_unless_backend

skip_unless_backend("jax", "the scan trainer")

from fixtures.training.models import ModelConfig  # noqa: E402
from fixtures.training.trainer import train_run, train_runs  # noqa: E402
# test_training's helpers: the smoke data and fit's finals, and every fast trainer's two checks.
from tests.test_training import (CURVES, EQUIVALENCE_CASES, SMOKE, assert_equivalence_to_fit, assert_matches_fit,  # noqa: E402
                                 fit_finals, match_cases, smoke_data)  # noqa: F401 (fixtures)


# Both trainers see the same weights and batch order (batch 96: 10 full batches and a partial one
# of 40 per 1,000-image epoch); what is left is float32 round-off in another op order. Observed on
# JAX 0.10.2 CPU (2026-11-29): at most 2.4e-7 over every curve of the six configurations. 1e-5, as
# for the xla trainer, still catches a real difference (a skipped BN moving-statistics update or
# a dropped partial batch moves these numbers by 1e-3 or more).
@match_cases
def test_scan_trainer_matches_model_fit(smoke_data, optimizer, bn_layers):
    config = ModelConfig("sigmoid", bn_layers=bn_layers, optimizer=optimizer, batch_size=96)
    scan, fit = assert_matches_fit("scan", config, smoke_data)
    # The probes read the model the trainer returns: the trained weights were assigned back.
    np.testing.assert_allclose(scan.extras["saturation_by_epoch"], fit.extras["saturation_by_epoch"], atol=1e-4)


@pytest.mark.parametrize("trainer", ["scan", "vscan"])
@EQUIVALENCE_CASES
def test_scan_trainer_is_equivalent_to_fit_across_seeds(smoke_data, fit_finals, optimizer, expected, trainer):
    assert_equivalence_to_fit(trainer, optimizer, expected, smoke_data, fit_finals)


@pytest.mark.parametrize("trainer", ["scan", "vscan"])
def test_scan_reruns_are_bit_identical(smoke_data, trainer):
    from fixtures.training import jax_loop

    config = ModelConfig("sigmoid", bn_layers=1, optimizer="adam", batch_size=96)
    first = train_run(config, 3, SMOKE, data=smoke_data, trainer=trainer)
    jax_loop.scan_loop.cache_clear()  # the second run compiles its own epoch afresh
    second = train_run(config, 3, SMOKE, data=smoke_data, trainer=trainer)
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
    config = ModelConfig("sigmoid", bn_layers=bn_layers, optimizer="sgd", batch_size=96)
    seeds = (0, 1, 2)
    together = train_runs(config, seeds, SMOKE, data=smoke_data, trainer="vscan")
    for seed, run in zip(seeds, together):
        alone = train_run(config, seed, SMOKE, data=smoke_data, trainer="scan")
        assert run.seed == seed and run.trainer == "jax-vscan-1-block3"
        for name in CURVES:
            # Batched matmuls may sum in another order: float32 round-off only, well within 1e-6 here.
            np.testing.assert_allclose(getattr(run, name), getattr(alone, name), atol=1e-6, err_msg=f"{name} seed {seed}")
        np.testing.assert_allclose(run.extras["saturation_by_epoch"], alone.extras["saturation_by_epoch"], atol=1e-4)
        # The probes read each seed's own trained weights out of the vmapped state.
        np.testing.assert_allclose(run.extras["layers"][0]["saturated"], alone.extras["layers"][0]["saturated"], atol=1e-4)
    # The seeds really differ: vmap did not train one seed three times.
    assert len({run.train_loss for run in together}) == len(seeds)


def test_a_vscan_seed_has_the_same_numbers_however_it_is_asked_for(smoke_data):
    """A seed trains in its block whether asked for alone or with its block (the block's other
    seeds move its last digits: for this configuration seed 1 vmapped alone differs from seed 1
    beside 0 and 2 by 2.4e-7 in its losses, JAX 0.10.2 CPU, 2026-12-01)."""
    config = ModelConfig("sigmoid", bn_layers=2, optimizer="sgd", batch_size=128)
    block = train_runs(config, (0, 1, 2), SMOKE, data=smoke_data, trainer="vscan")
    asked = train_run(config, 1, SMOKE, data=smoke_data, trainer="vscan")
    for name in CURVES:
        assert getattr(asked, name) == getattr(block[1], name), name


def test_a_vscan_job_trains_the_block_and_keeps_the_runs_it_asked_for(smoke_data):
    from fixtures.execution.parallel import timed_runs

    config = ModelConfig("sigmoid", bn_layers=2, optimizer="sgd", batch_size=128)
    timed = timed_runs(((config, 4), (config, 5)), SMOKE, "vscan")
    assert [seed for _, seed, _, _ in timed] == [4, 5]
    block = train_runs(config, (3, 4, 5), SMOKE, trainer="vscan")
    assert [run.train_loss for _, _, run, _ in timed] == [block[1].train_loss, block[2].train_loss]


def test_a_checkpointed_vscan_run_reads_each_seed(smoke_data):
    from dataclasses import replace

    config = replace(ModelConfig("sigmoid", bn_layers=1, optimizer="sgd", batch_size=96), checkpoints=3)
    runs = train_runs(config, (0, 1, 2), SMOKE, data=smoke_data, trainer="vscan")
    plain = train_runs(replace(config, checkpoints=0), (0, 1, 2), SMOKE, data=smoke_data, trainer="vscan")
    for run, other in zip(runs, plain):
        np.testing.assert_allclose(run.test_loss, other.test_loss, atol=1e-6)
        marks = run.extras["checkpoints"]
        assert marks["step"] == [4, 7, 11, 15, 18, 22]
        assert [marks["test_loss"][i] for i in (2, 5)] == list(run.test_loss)
    assert runs[0].extras["checkpoints"]["test_loss"] != runs[1].extras["checkpoints"]["test_loss"]
