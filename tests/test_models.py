"""The article's networks, layer by layer, and the optimizers it used."""

from __future__ import annotations

import keras
import pytest

from fixtures.training.models import ModelConfig, build_model, build_optimizer, compiled_model

PLAIN_PARAMS = 575_050  # 784*512+512 + 512*256+256 + 256*128+128 + 128*64+64 + 64*10+10
BN_PARAMS = {1: 2 * 2 * 512, 2: 2 * 2 * (512 + 256), 3: 2 * 2 * (512 + 256 + 128), 4: 2 * 2 * (512 + 256 + 128 + 64)}


def layer_kinds(model):
    return [type(layer).__name__ for layer in model.layers]


def test_normal_model_matches_the_article():
    model = build_model(ModelConfig("sigmoid", bn_layers=0))
    assert layer_kinds(model) == ["Dense"] * 5
    assert [layer.units for layer in model.layers] == [512, 256, 128, 64, 10]
    assert [layer.activation.__name__ for layer in model.layers] == ["sigmoid"] * 4 + ["softmax"]
    assert model.count_params() == PLAIN_PARAMS


def test_bn_model_puts_bn_after_the_first_activation_with_the_quoted_settings():
    model = build_model(ModelConfig("relu", bn_layers=1))
    assert layer_kinds(model) == ["Dense", "BatchNormalization", "Dense", "Dense", "Dense", "Dense"]
    assert model.count_params() == PLAIN_PARAMS + 2_048
    bn = model.layers[1].get_config()
    assert (bn["epsilon"], bn["center"], bn["scale"], bn["momentum"]) == (0.001, True, True, 0.99)
    assert bn["beta_initializer"]["class_name"] == "Zeros"
    assert bn["gamma_initializer"]["class_name"] == "Ones"


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_bn_after_the_first_k_hidden_layers(k):
    model = build_model(ModelConfig("sigmoid", bn_layers=k))
    kinds = layer_kinds(model)
    assert kinds.count("BatchNormalization") == k
    for i in range(k):  # each BN directly follows the i-th hidden Dense
        dense_at = [j for j, name in enumerate(kinds) if name == "Dense"][i]
        assert kinds[dense_at + 1] == "BatchNormalization"
    assert model.count_params() == PLAIN_PARAMS + BN_PARAMS[k]


def test_sgd_is_nesterov_momentum_at_keras_default_rate():
    optimizer = build_optimizer(ModelConfig(optimizer="sgd"))
    assert isinstance(optimizer, keras.optimizers.SGD)
    assert optimizer.get_config()["momentum"] == 0.9 and optimizer.get_config()["nesterov"] is True
    assert float(optimizer.learning_rate) == pytest.approx(0.01)


def test_adam_is_set_to_the_same_rate_by_hand():
    optimizer = build_optimizer(ModelConfig(optimizer="adam"))
    assert isinstance(optimizer, keras.optimizers.Adam)
    assert float(optimizer.learning_rate) == pytest.approx(0.01)


def test_compiled_model_uses_categorical_crossentropy():
    model = compiled_model(ModelConfig())
    assert model.loss == "categorical_crossentropy"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"activation": "tanh"}, "activation"),
        ({"bn_layers": 5}, "bn_layers"),
        ({"bn_layers": -1}, "bn_layers"),
        ({"optimizer": "rmsprop"}, "optimizer"),
        ({"batch_size": 0}, "batch_size"),
        ({"checkpoints": -1}, "checkpoints"),
        ({"checkpoints": 2.5}, "checkpoints"),
    ],
)
def test_bad_config_is_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ModelConfig(**kwargs)


def test_label_is_readable():
    assert ModelConfig("relu", 2, "adam", 64).label == "relu-bn2-adam-bs64"
    assert ModelConfig("sigmoid", 1, checkpoints=10).label == "sigmoid-bn1-sgd-bs128-cp10"


def test_checkpoints_key_a_run_apart_but_train_the_same_network():
    from fixtures.training.models import as_trained

    read = ModelConfig("sigmoid", 1, checkpoints=10)
    assert read.to_dict()["checkpoints"] == 10 and "checkpoints" not in ModelConfig("sigmoid", 1).to_dict()
    assert as_trained(read) == ModelConfig("sigmoid", 1)
