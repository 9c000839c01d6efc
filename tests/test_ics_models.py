"""The model description beyond the article's grid (widths, noisy BN, Gaussian initialisation)
leaves every article configuration as it was: its label, its run key and its network.

A stored run is found by its configuration's ``to_dict()``; if adding fields changed a single
key, every stored article run would silently be retrained (or, worse, two keys would name one
network). The expected strings and the grid's hash below were computed with the models.py of
commit 2cb06e2, before the new fields existed.
"""

from __future__ import annotations

import hashlib
import itertools
import json

import keras
import numpy as np
import pytest

from fixtures.training.models import ModelConfig, batch_normalization, build_model

# (config, label, json.dumps(to_dict(), sort_keys=True)) from the code before the new fields.
ARTICLE_KEYS = [
    (ModelConfig(), "sigmoid-bn0-sgd-bs128",
     '{"activation": "sigmoid", "batch_size": 128, "bn_layers": 0, "optimizer": "sgd"}'),
    (ModelConfig("relu", 4, "adam", 1024), "relu-bn4-adam-bs1024",
     '{"activation": "relu", "batch_size": 1024, "bn_layers": 4, "optimizer": "adam"}'),
    (ModelConfig("sigmoid", 1, "sgd", 64, epochs=1), "sigmoid-bn1-sgd-bs64-e1",
     '{"activation": "sigmoid", "batch_size": 64, "bn_layers": 1, "epochs": 1, "optimizer": "sgd"}'),
    (ModelConfig("sigmoid", 2, bn_position="before"), "sigmoid-bn2-sgd-bs128-pre",
     '{"activation": "sigmoid", "batch_size": 128, "bn_layers": 2, "bn_position": "before", "optimizer": "sgd"}'),
    (ModelConfig("relu", 1, learning_rate=0.316), "relu-bn1-sgd-bs128-lr0.316",
     '{"activation": "relu", "batch_size": 128, "bn_layers": 1, "learning_rate": 0.316, "optimizer": "sgd"}'),
]
# sha256 of "label json" lines over 1,800 configurations (see article_grid), from the old code.
ARTICLE_GRID_SHA256 = "faaba9f8ae92e9d7c6db998dd6c0c0d9c0b2b41ecda0a1d14a76e29cbca650a6"


def article_grid() -> list[ModelConfig]:
    """Every combination of the article's fields, its variants' BN position and rates included."""
    return [ModelConfig(a, k, o, b, e, p, lr) for a, k, o, b, e, p, lr in itertools.product(
        ("sigmoid", "relu"), range(5), ("sgd", "adam"), (4, 64, 128, 256, 1024), (None, 1, 16),
        ("after", "before"), (None, 0.01, 0.316))]


@pytest.mark.parametrize("config, label, key", ARTICLE_KEYS, ids=[row[1] for row in ARTICLE_KEYS])
def test_article_labels_and_keys_are_unchanged(config, label, key):
    assert config.label == label
    assert json.dumps(config.to_dict(), sort_keys=True) == key


def test_the_whole_article_grid_keys_as_before():
    rows = [c.label + " " + json.dumps(c.to_dict(), sort_keys=True) for c in article_grid()]
    assert len(rows) == 1_800
    assert hashlib.sha256("\n".join(rows).encode()).hexdigest() == ARTICLE_GRID_SHA256


def test_new_fields_at_their_defaults_are_the_article_config():
    explicit = ModelConfig(hidden_units=[512, 256, 128, 64], noise_shift=0.0, noise_scale=1.0, init_sd=None)
    assert explicit == ModelConfig() and hash(explicit) == hash(ModelConfig())
    assert explicit.to_dict() == ModelConfig().to_dict()


def ioffe_szegedy(**kwargs) -> ModelConfig:
    return ModelConfig("sigmoid", 3, "sgd", 60, bn_position="before", hidden_units=(100, 100, 100), **kwargs)


def test_new_fields_name_themselves_and_survive_json():
    config = ioffe_szegedy(noise_shift=0.5, noise_scale=1.25, init_sd=0.1)
    assert config.label == "sigmoid-bn3-sgd-bs60-pre-h100x100x100-noise0.5_1.25-initN0.1"
    data = json.loads(json.dumps(config.to_dict()))
    assert data["hidden_units"] == [100, 100, 100]
    assert ModelConfig(**data) == config and hash(ModelConfig(**data)) == hash(config)


@pytest.mark.parametrize("kwargs, message", [
    ({"hidden_units": ()}, "hidden_units"),
    ({"hidden_units": (100, 0)}, "hidden_units"),
    ({"hidden_units": (100, 100), "bn_layers": 3}, "bn_layers"),
    ({"bn_layers": 1, "noise_scale": 0.5}, "noise"),
    ({"bn_layers": 1, "noise_shift": -1.0}, "noise"),
    ({"noise_shift": 0.5}, "bn_layers >= 1"),
    ({"init_sd": 0.0}, "init_sd"),
])
def test_bad_new_fields_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ModelConfig(**kwargs)


def old_build_model(config: ModelConfig) -> keras.Sequential:
    """build_model as it was at commit 2cb06e2 (article widths; no noise; Keras's initialisers)."""
    layers = [keras.Input(shape=(784,))]
    for i, units in enumerate((512, 256, 128, 64)):
        if i < config.bn_layers and config.bn_position == "before":
            layers += [keras.layers.Dense(units), batch_normalization(), keras.layers.Activation(config.activation)]
            continue
        layers.append(keras.layers.Dense(units, activation=config.activation))
        if i < config.bn_layers:
            layers.append(batch_normalization())
    layers.append(keras.layers.Dense(10, activation="softmax"))
    return keras.Sequential(layers, name=config.label)


def described(model: keras.Sequential) -> list:
    """Each layer's class and config, without the auto-numbered names."""
    return [(type(layer).__name__, {k: v for k, v in layer.get_config().items() if k != "name"})
            for layer in model.layers]


@pytest.mark.parametrize("config", [ModelConfig(), ModelConfig("relu", 1), ModelConfig("sigmoid", 4, "adam", 64),
                                    ModelConfig("sigmoid", 2, bn_position="before")], ids=lambda c: c.label)
def test_article_networks_are_built_as_before(config):
    keras.utils.set_random_seed(7)
    new = build_model(config)
    keras.utils.set_random_seed(7)
    old = old_build_model(config)
    assert described(new) == described(old)
    assert all(np.array_equal(a, b) for a, b in zip(new.get_weights(), old.get_weights(), strict=True))


def test_ioffe_szegedy_net_is_three_layers_of_100_with_bn_before_each_sigmoid():
    keras.utils.set_random_seed(0)
    model = build_model(ioffe_szegedy())
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds == ["Dense", "BatchNormalization", "Activation"] * 3 + ["Dense"]
    assert [layer.units for layer in model.layers if isinstance(layer, keras.layers.Dense)] == [100, 100, 100, 10]
    # 784*100+100 + 2*(100*100+100) + 100*10+10 weights and biases, 4*100 BN variables per layer
    assert model.count_params() == 99_710 + 3 * 400


@pytest.mark.parametrize("position", ["before", "after"])
def test_noisy_bn_adds_noise_after_each_bn_and_keeps_the_plain_twins_weights(position):
    plain = ModelConfig("sigmoid", 2, hidden_units=(30, 20, 10), bn_position=position)
    noisy = ModelConfig("sigmoid", 2, hidden_units=(30, 20, 10), bn_position=position, noise_shift=0.5, noise_scale=2.0)
    keras.utils.set_random_seed(3)
    plain_model = build_model(plain)
    keras.utils.set_random_seed(3)
    noisy_model = build_model(noisy)
    kinds = [type(layer).__name__ for layer in noisy_model.layers]
    assert kinds.count("BNNoise") == 2
    assert all(kinds[i - 1] == "BatchNormalization" for i, kind in enumerate(kinds) if kind == "BNNoise")
    assert [k for k in kinds if k != "BNNoise"] == [type(layer).__name__ for layer in plain_model.layers]
    assert all(np.array_equal(a, b) for a, b in zip(noisy_model.get_weights(), plain_model.get_weights(), strict=True))
    x = np.random.default_rng(0).random((16, 784)).astype("float32")
    np.testing.assert_array_equal(noisy_model(x, training=False), plain_model(x, training=False))


def test_gaussian_initialisation_has_the_stated_sd_and_zero_biases():
    keras.utils.set_random_seed(0)
    model = build_model(ioffe_szegedy(init_sd=0.1))
    kernel, bias = model.layers[0].get_weights()
    assert kernel.std() == pytest.approx(0.1, rel=0.02)  # 78,400 draws: the SD's own error is 0.25%
    assert abs(kernel.mean()) < 0.002
    assert not bias.any()
