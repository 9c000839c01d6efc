"""The ICS family's probes (fixtures/training/ics/) against problems whose answers are known in
closed form: sigmoid-input percentiles of a net whose last pre-activations are set by hand,
Santurkar et al.'s gradient shift on a two-layer linear net worked out on paper, and the loss
and gradient along the gradient of a quadratic.

A probe that read the wrong layer, updated the wrong weights or measured the wrong norm would
still give plausible numbers on a trained net; these cases give exact ones.
"""

from __future__ import annotations

import math

import keras
import numpy as np
import pytest

from fixtures.training.ics.gradient_shift import gradient_shift
from fixtures.training.ics.objective import Objective, dense_layers
from fixtures.training.ics.percentiles import input_percentiles
from fixtures.training.ics.smoothness import gradient_line
from fixtures.training.models import ModelConfig, build_model

X = np.random.default_rng(0).random((500, 784)).astype("float32")


# --- (a) percentiles of the last hidden layer's sigmoid inputs ---------------------------------

def set_last_hidden(model: keras.Sequential, kernel: np.ndarray, bias: np.ndarray) -> None:
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    dense[-2].set_weights([kernel.astype("float32"), bias.astype("float32")])


def picking_kernel(rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit j's pre-activation is 3 (j + 1) x[:, 10 j] - j: a known linear function of one pixel."""
    kernel = np.zeros((rows, 3))
    for j in range(3):
        kernel[10 * j, j] = 3.0 * (j + 1)
    bias = -np.arange(3.0)
    return kernel, bias, X[:, [0, 10, 20]] * (3.0 * np.arange(1, 4)) + bias


def test_percentiles_of_a_dense_sigmoid_are_those_of_x_w_plus_b():
    model = build_model(ModelConfig(hidden_units=(3,)))
    kernel, bias, expected = picking_kernel(784)
    set_last_hidden(model, kernel, bias)
    np.testing.assert_allclose(input_percentiles(model, X), np.percentile(expected, (15, 50, 85), axis=0),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(input_percentiles(model, X, units=[2]), np.percentile(expected[:, [2]], (15, 50, 85), axis=0),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("noise", [(0.0, 1.0), (0.5, 2.0)], ids=["plain", "noisy"])
def test_with_bn_before_the_sigmoid_it_is_bn_of_the_pre_activation_at_inference(noise):
    model = build_model(ModelConfig(bn_layers=1, bn_position="before", hidden_units=(3,),
                                    noise_shift=noise[0], noise_scale=noise[1]))
    kernel, bias, z = picking_kernel(784)
    set_last_hidden(model, kernel, bias)
    bn = next(layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization))
    gamma, beta = np.array([2.0, 1.0, 0.5]), np.array([0.1, -0.2, 0.3])
    mean, variance = np.array([1.0, 2.0, -1.0]), np.array([4.0, 1.0, 0.25])
    bn.set_weights([a.astype("float32") for a in (gamma, beta, mean, variance)])
    expected = gamma * (z - mean) / np.sqrt(variance + 0.001) + beta  # inference: moving statistics, no noise
    np.testing.assert_allclose(input_percentiles(model, X), np.percentile(expected, (15, 50, 85), axis=0),
                               rtol=1e-5, atol=1e-5)


def test_it_reads_the_last_hidden_layer_through_the_ones_before():
    # Layer 1 is constant (zero kernel): sigmoid(b1), then BN after it; layer 2 sees that constant.
    model = build_model(ModelConfig(bn_layers=1, hidden_units=(4, 3)))
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    b1 = np.array([0.0, 1.0, -1.0, 2.0])
    dense[0].set_weights([np.zeros((784, 4), "float32"), b1.astype("float32")])
    w2 = np.arange(12.0).reshape(4, 3) / 10
    b2 = np.array([0.5, -0.5, 0.0])
    dense[1].set_weights([w2.astype("float32"), b2.astype("float32")])
    h = 1 / (1 + np.exp(-b1)) / np.sqrt(1 + 0.001)  # BN at its initial moving statistics (0, 1)
    expected = np.tile(h @ w2 + b2, (3, 1))  # every percentile of a constant is the constant
    np.testing.assert_allclose(input_percentiles(model, X), expected, rtol=1e-5)


# --- (b) Santurkar et al.'s gradient shift (ICS) ----------------------------------------------
# Input x = 1, hidden a = (a1, a2), output a.b, loss 0.5 (a.b - y)^2 with y = 0. At a = (1, 0),
# b = (1, 1): residual r = 1, G_b = x a r = (1, 0), G_a = x b r = (1, 1). One SGD step of 0.25 moves
# a to (0.75, -0.25): r' = 0.5 and G'_b = a' r' = (0.375, -0.125). So ||G - G'|| = sqrt(13/32)
# and cos(G, G') = 0.375 / sqrt(0.15625) = 3 / sqrt(10).
L2_BY_HAND, COSINE_BY_HAND = math.sqrt(13 / 32), 3 / math.sqrt(10)


def linear_value_and_grad(weights):
    a, b = (np.asarray(w, dtype=np.float64).ravel() for w in weights)
    r = a @ b - 0.0
    return 0.5 * r**2, [b * r, a * r]


def test_gradient_shift_of_a_two_layer_linear_net_by_hand():
    weights = [np.array([1.0, 0.0]), np.array([1.0, 1.0])]
    _, grads = linear_value_and_grad(weights)
    updated = [w - 0.25 * g for w, g in zip(weights, grads)]
    shift = gradient_shift(linear_value_and_grad, weights, updated, range(1, 2))
    assert shift["l2"] == pytest.approx(L2_BY_HAND, rel=1e-12)
    assert shift["cosine"] == pytest.approx(COSINE_BY_HAND, rel=1e-12)
    assert shift["norm"] == pytest.approx(1.0)


def test_a_layer_with_no_preceding_layer_has_no_shift():
    weights = [np.array([1.0, 0.0]), np.array([1.0, 1.0])]
    _, grads = linear_value_and_grad(weights)
    updated = [w - 0.25 * g for w, g in zip(weights, grads)]
    shift = gradient_shift(linear_value_and_grad, weights, updated, range(0, 1))
    assert (shift["l2"], shift["cosine"]) == (0.0, pytest.approx(1.0, abs=1e-15))


def test_only_the_preceding_layers_take_their_step():
    seen = []

    def spy(weights):
        seen.append([float(w[0]) for w in weights])
        return 0.0, [np.ones(1)] * 3

    weights, updated = [np.array([0.0])] * 3, [np.array([1.0])] * 3
    gradient_shift(spy, weights, updated, range(1, 2))
    assert seen == [[0.0, 0.0, 0.0], [1.0, 0.0, 0.0]]  # G at w; G' with layer 0 stepped, 1 and 2 kept


def test_the_keras_objective_gives_the_same_shift_as_the_hand_computation():
    model = keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(2, use_bias=False),
                              keras.layers.Dense(1, use_bias=False)])
    model.set_weights([np.array([[1.0, 0.0]], "float32"), np.array([[1.0], [1.0]], "float32")])
    objective = Objective(model, lambda y, out: 0.5 * keras.ops.mean(keras.ops.square(out - y)))
    value_and_grad = objective.at([], np.ones((1, 1), "float32"), np.zeros((1, 1), "float32"))
    weights = model.get_weights()
    loss, grads = value_and_grad(weights)
    assert loss == pytest.approx(0.5)
    np.testing.assert_allclose(grads[0], [[1.0, 1.0]])  # G_a
    np.testing.assert_allclose(grads[1], [[1.0], [0.0]])  # G_b
    updated = [w - 0.25 * g for w, g in zip(weights, grads)]
    layers = dense_layers(model)
    assert layers == [range(0, 1), range(1, 2)]
    shift = gradient_shift(value_and_grad, weights, updated, layers[1])
    assert shift["l2"] == pytest.approx(L2_BY_HAND, rel=1e-6)
    assert shift["cosine"] == pytest.approx(COSINE_BY_HAND, rel=1e-6)


def test_dense_layers_count_bn_parameters_as_preceding():
    model = build_model(ModelConfig(bn_layers=2, bn_position="before", hidden_units=(5, 4, 3)))
    # Dense(k, b), BN(gamma, beta), Dense, BN, Dense, Dense(softmax)
    assert dense_layers(model) == [range(0, 2), range(4, 6), range(8, 10), range(10, 12)]


# --- (c) loss and gradient along the gradient: a quadratic 0.5 w^T A w ----------------------------
A = np.diag([1.0, 4.0, 9.0])
ETAS = (0.01, 0.05, 0.1, 0.2)


def quadratic(weights):
    w = np.concatenate([np.asarray(x, dtype=np.float64).ravel() for x in weights])
    g = A @ w
    return 0.5 * w @ g, [g[:1], g[1:]]  # split in two arrays, as a net's variables are


def test_the_loss_along_the_gradient_is_the_known_parabola():
    w = np.array([1.0, 1.0, 1.0])
    line = gradient_line(quadratic, [w[:1], w[1:]], ETAS)
    g = A @ w
    expected = [0.5 * w @ A @ w - eta * g @ g + 0.5 * eta**2 * g @ A @ g for eta in ETAS]
    np.testing.assert_allclose(line["loss"], expected, rtol=1e-12)
    assert line["loss_range"] == pytest.approx(max(expected) - min(expected), rel=1e-12)
    np.testing.assert_allclose(line["grad_change"], [eta * np.linalg.norm(A @ g) for eta in ETAS], rtol=1e-12)
    # the gradient changes by exactly A (eta g): beta is ||A g|| / ||g|| at every step size
    assert line["beta"] == pytest.approx(np.linalg.norm(A @ g) / np.linalg.norm(g), rel=1e-12)
    assert line["loss_start"] == pytest.approx(7.0) and line["grad_norm"] == pytest.approx(np.linalg.norm(g))


def test_beta_is_the_eigenvalue_along_an_eigenvector():
    line = gradient_line(quadratic, [np.array([0.0]), np.array([0.0, 2.0])], ETAS)
    assert line["beta"] == pytest.approx(9.0, rel=1e-12)


def test_a_stationary_point_has_no_direction():
    line = gradient_line(quadratic, [np.array([0.0]), np.array([0.0, 0.0])], ETAS)
    assert line["beta"] is None and line["loss_range"] == 0.0


def test_step_sizes_must_be_positive():
    with pytest.raises(ValueError, match="positive"):
        gradient_line(quadratic, [np.array([1.0]), np.array([1.0, 1.0])], (0.0, 0.1))


def test_the_keras_objective_on_least_squares_gives_the_hessian_along_g():
    # One linear layer, loss 0.5 mean((x w - y)^2): quadratic in w, Hessian H = X^T X / n.
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(8, 3)).astype("float32"), rng.normal(size=(8, 1)).astype("float32")
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(1, use_bias=False)])
    w = rng.normal(size=(3, 1)).astype("float32")
    model.set_weights([w])
    objective = Objective(model, lambda y, out: 0.5 * keras.ops.mean(keras.ops.square(out - y)))
    line = gradient_line(objective.at([], x, y), [w], ETAS)
    hessian = x.T.astype(np.float64) @ x / 8
    g = x.T.astype(np.float64) @ (x @ w - y) / 8
    assert line["beta"] == pytest.approx(np.linalg.norm(hessian @ g) / np.linalg.norm(g), rel=1e-3)  # float32 net
