"""The noisy-BN layer (Santurkar et al.'s noise after BN, fixtures/training/bn_noise.py) does what
its docstring declares: the identity at inference; in training, one scale in [1, scale] and one
shift in [-shift, shift] per unit, shared by every example of the batch and new at every call.
"""

from __future__ import annotations

import keras
import numpy as np

from fixtures.training.bn_noise import BNNoise


def draw(layer: BNNoise, units: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """The (scale, shift) of one training call, read off rows of zeros and ones: 0*s+m and 1*s+m."""
    x = np.concatenate([np.zeros((2, units)), np.ones((2, units))]).astype("float32")
    out = keras.ops.convert_to_numpy(layer(x, training=True))
    np.testing.assert_array_equal(out[0], out[1])  # one draw per unit, shared by the batch
    np.testing.assert_array_equal(out[2], out[3])
    return out[2] - out[0], out[0]


def test_inference_is_the_identity():
    x = np.random.default_rng(0).normal(size=(5, 7)).astype("float32")
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(BNNoise(0.5, 2.0)(x)), x)


def test_training_scales_and_shifts_each_unit_within_the_declared_ranges():
    keras.utils.set_random_seed(0)
    scale, shift = draw(BNNoise(0.5, 2.0))
    assert scale.min() >= 1.0 - 1e-6 and scale.max() <= 2.0 + 1e-6
    assert np.abs(shift).max() <= 0.5 + 1e-6
    # 200 uniform draws: both ranges are filled, not collapsed to a constant
    assert scale.max() - scale.min() > 0.8 and shift.max() - shift.min() > 0.8


def test_the_noise_is_new_at_every_step_and_reproducible_from_the_seed():
    keras.utils.set_random_seed(1)
    layer = BNNoise(0.5, 2.0)
    first, second = draw(layer), draw(layer)
    assert not np.allclose(first[0], second[0]) and not np.allclose(first[1], second[1])
    keras.utils.set_random_seed(1)
    again = BNNoise(0.5, 2.0)
    np.testing.assert_array_equal(draw(again)[1], first[1])
