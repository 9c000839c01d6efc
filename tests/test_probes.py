"""The probes against hand-computed outputs: saturation share (L1) and BN statistic drift (D5).

A probe that returned 0 always, or measured the wrong layer, would leave L1 and D5 empty; these
tests build a tiny network whose outputs are known in closed form.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

from fixtures.training.probes import batch_stat_drift, layer_summary, saturation_by_layer


def known_sigmoid_net(bias: float) -> keras.Sequential:
    """784 -> Dense 2 (sigmoid) -> Dense 10: zero weights, so every hidden output is sigmoid(bias)."""
    model = keras.Sequential([keras.Input(shape=(784,)), keras.layers.Dense(2, activation="sigmoid"),
                              keras.layers.Dense(10, activation="softmax")])
    hidden = model.layers[0]
    hidden.set_weights([np.zeros((784, 2), "float32"), np.array([bias, -bias], "float32")])
    return model


@pytest.mark.parametrize("bias, saturated", [(0.0, 0.0), (5.0, 1.0), (2.0, 0.0), (3.0, 1.0)])
def test_saturation_counts_outputs_beyond_0_05_and_0_95(bias, saturated):
    # sigmoid(2) = 0.881 (inside the band), sigmoid(3) = 0.953 and sigmoid(-3) = 0.047 (outside)
    x = np.random.default_rng(0).random((50, 784)).astype("float32")
    assert saturation_by_layer(known_sigmoid_net(bias), x, "sigmoid") == [saturated]


def test_saturation_is_the_share_of_outputs_outside_the_band():
    outputs = np.array([[0.01, 0.5], [0.5, 0.99], [0.5, 0.5], [0.96, 0.04]])
    assert layer_summary(outputs, "sigmoid")["saturated"] == pytest.approx(4 / 8)
    assert layer_summary(np.array([[0.0, 1.0], [2.0, 0.0]]), "relu")["saturated"] == pytest.approx(2 / 4)


class FakeBN:
    def __init__(self, mean, variance, epsilon=1e-3):
        self.moving_mean, self.moving_variance, self.epsilon = mean, variance, epsilon


def test_drift_is_zero_for_batches_equal_to_the_moving_statistics():
    # Every row identical: each batch mean equals the row, each batch variance is 0.
    rows = np.tile(np.array([[0.2, 0.7]]), (300, 1))
    drift = batch_stat_drift(rows, FakeBN(np.array([0.2, 0.7]), np.zeros(2)), seed=0)
    assert drift["4"]["mean_drift"] == pytest.approx(0.0, abs=1e-6)
    assert drift["4"]["variance_drift"] == pytest.approx(0.0, abs=1e-6)


def test_drift_measures_the_offset_in_moving_sd_units():
    rows = np.tile(np.array([[1.0]]), (300, 1))
    bn = FakeBN(np.array([0.0]), np.array([4.0 - 1e-3]))  # moving SD exactly 2
    drift = batch_stat_drift(rows, bn, seed=0)
    assert drift["64"]["mean_drift"] == pytest.approx(0.5, rel=1e-6)  # |1 - 0| / 2
    assert drift["64"]["variance_drift"] == pytest.approx(abs(np.log(1e-3 / 4.0)), rel=1e-6)


def test_drift_shrinks_with_batch_size_for_random_data():
    rows = np.random.default_rng(1).normal(0.0, 1.0, size=(5000, 8))
    drift = batch_stat_drift(rows, FakeBN(np.zeros(8), np.ones(8) - 1e-3), seed=0)
    # |mean of n standard normals| averages sqrt(2 / (pi n)): 0.399 at 4, 0.0499 at 256
    assert drift["4"]["mean_drift"] == pytest.approx(np.sqrt(2 / (np.pi * 4)), rel=0.1)
    assert drift["256"]["mean_drift"] == pytest.approx(np.sqrt(2 / (np.pi * 256)), rel=0.1)
