"""The PyTorch ``loop`` trainer (``fixtures/training/torch_loop.py``) against plain ``model.fit`` on
the PyTorch backend, as ``tests/test_training.py`` holds TensorFlow's ``xla`` trainer and
``tests/test_jax_trainer.py`` JAX's ``scan`` trainer equal to ``fit``; and its reruns."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from tests.prerequisites import skip_unless_backend

skip_unless_backend("torch", "the loop trainer")

from fixtures.training.models import ModelConfig  # noqa: E402
from fixtures.training.trainer import train_run  # noqa: E402
# test_training's helpers: the smoke data and fit's finals, and every fast trainer's two checks.
from tests.test_training import (CURVES, EQUIVALENCE_CASES, SMOKE, assert_equivalence_to_fit, assert_matches_fit,  # noqa: E402
                                 fit_finals, match_cases, smoke_data)  # noqa: F401 (fixtures)


# Both trainers see the same weights and batch order (batch 96: 10 full batches and a partial one
# of 40 per 1,000-image epoch) and run the same train step; what is left is float round-off in
# another summation order (fit's loss tracker sums in float32, the loop in float64, and fit
# evaluates the test set in batches of 32). 1e-5, as for the other fast trainers, still catches a
# real difference: a BN layer left in inference mode while training, or a dropped partial batch,
# moves these numbers by 1e-3 or more.
@match_cases
def test_loop_trainer_matches_model_fit(smoke_data, optimizer, bn_layers):
    config = ModelConfig("sigmoid", bn_layers=bn_layers, optimizer=optimizer, batch_size=96)
    loop, fit = assert_matches_fit("loop", config, smoke_data)
    # The probes read the model the trainer returns, with its trained weights.
    np.testing.assert_allclose(loop.extras["saturation_by_epoch"], fit.extras["saturation_by_epoch"], atol=1e-4)


@EQUIVALENCE_CASES
def test_loop_trainer_is_equivalent_to_fit_across_seeds(smoke_data, fit_finals, optimizer, expected):
    assert_equivalence_to_fit("loop", optimizer, expected, smoke_data, fit_finals)


def test_loop_reruns_are_bit_identical(smoke_data):
    config = ModelConfig("sigmoid", bn_layers=1, optimizer="adam", batch_size=96)
    first = train_run(config, 3, SMOKE, data=smoke_data, trainer="loop")
    second = train_run(config, 3, SMOKE, data=smoke_data, trainer="loop")
    for name in CURVES:
        assert getattr(first, name) == getattr(second, name), name
    assert first.extras["layers"] == second.extras["layers"]


def test_a_checkpointed_loop_run_trains_as_the_plain_run(smoke_data):
    """An epoch trained in parts (L1's checkpoints) makes the plain epoch's steps."""
    config = ModelConfig("sigmoid", bn_layers=1, optimizer="sgd", batch_size=96)
    plain = train_run(config, 2, SMOKE, data=smoke_data, trainer="loop")
    read = train_run(replace(config, checkpoints=3), 2, SMOKE, data=smoke_data, trainer="loop")
    for name in CURVES:
        np.testing.assert_allclose(getattr(read, name), getattr(plain, name), atol=1e-6, err_msg=name)
    marks = read.extras["checkpoints"]
    assert marks["step"] == [4, 7, 11, 15, 18, 22]  # 11 steps an epoch (10 full, 1 partial), in parts of 4, 3, 4
    assert [marks["test_loss"][i] for i in (2, 5)] == list(read.test_loss)
