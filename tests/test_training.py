"""``train_run``: what it records, the fast trainer against ``model.fit``, and divergence."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from fixtures.training import models
from fixtures.training import trainer as training
from fixtures.training.data import load_mnist, subset
from fixtures.training.models import ModelConfig
from fixtures.training.scales import SCALES
from fixtures.stats import Verdict, equivalence
from fixtures.training.trainer import batch_orders, train_run

SMOKE = SCALES["smoke"]


@pytest.fixture(scope="module")
def smoke_data(mnist_path):
    return subset(load_mnist(mnist_path), SMOKE.train_size, SMOKE.test_size)


def test_a_run_records_every_epoch(smoke_data):
    run = train_run(ModelConfig(bn_layers=1), 0, SMOKE, data=smoke_data)
    assert run.epochs == SMOKE.epochs
    for curve in (run.train_loss, run.train_accuracy, run.test_loss, run.test_accuracy, run.epoch_seconds):
        assert len(curve) == SMOKE.epochs and all(math.isfinite(v) for v in curve)
    assert all(0.0 <= a <= 1.0 for a in run.train_accuracy + run.test_accuracy)
    assert run.budget == SMOKE.run_budget() and run.seed == 0
    assert not run.diverged


def test_batch_order_is_a_fresh_permutation_each_epoch():
    first, second = batch_orders(3, 100, 2)
    assert sorted(first) == list(range(100)) and not np.array_equal(first, second)
    np.testing.assert_array_equal(first, batch_orders(3, 100, 1)[0])


def test_progress_reports_each_epoch(smoke_data):
    lines = []
    train_run(ModelConfig(), 0, SMOKE, data=smoke_data, progress=lines.append)
    assert len(lines) == SMOKE.epochs and "sigmoid-bn0-sgd-bs128 seed=0 epoch 1/2" in lines[0]


# Both trainers see the same weights and batch order; what is left is float32 round-off in a
# different op order (a few 1e-7 per epoch on these runs), so 1e-5 is loose yet catches any
# real difference (a wrong BN mode or a dropped batch moves the loss by 1e-3 or more).
def match_cases(test):
    """Every fast trainer's match against fit: SGD and Adam with 0, 1 and 4 BN layers."""
    return pytest.mark.parametrize("optimizer", ["sgd", "adam"])(pytest.mark.parametrize("bn_layers", [0, 1, 4])(test))


@match_cases
def test_fast_trainer_matches_model_fit(smoke_data, optimizer, bn_layers):
    assert_matches_fit("xla", ModelConfig("sigmoid", bn_layers=bn_layers, optimizer=optimizer, batch_size=96), smoke_data)


CURVES = ("train_loss", "train_accuracy", "test_loss", "test_accuracy")


def assert_matches_fit(trainer: str, config: ModelConfig, data, seed: int = 1) -> tuple:
    """``trainer``'s run of ``config`` equal to ``fit``'s, curve for curve, within 1e-5 (every fast
    trainer's test: the xla one here, the JAX and PyTorch ones in their modules); both runs."""
    fast = train_run(config, seed, SMOKE, data=data, trainer=trainer)
    fit = train_run(config, seed, SMOKE, data=data, trainer="fit")
    for name in CURVES:
        np.testing.assert_allclose(getattr(fast, name), getattr(fit, name), atol=1e-5, err_msg=name)
    return fast, fit


# Across seeds, with the suite's own TOST: final metrics equal within margins far below any
# claim's (claims use 0.10 nats and 0.02 accuracy), i.e. 1e-4 nats and one test image in 1000.
FINAL_MARGINS = {"train_loss": 1e-4, "test_accuracy": 1e-3}
SEEDS = range(5)


@pytest.fixture(scope="module")
def fit_finals(smoke_data):
    runs = [train_run(ModelConfig("sigmoid", bn_layers=1), seed, SMOKE, data=smoke_data, trainer="fit")
            for seed in SEEDS]
    return {name: [getattr(run, name)[-1] for run in runs] for name in FINAL_MARGINS}


# Every fast trainer's TOST cases: the same configuration as fit's finals, and a planted other one.
EQUIVALENCE_CASES = pytest.mark.parametrize(
    "optimizer, expected", [("sgd", Verdict.SUPPORTED), ("adam", Verdict.REFUTED)],
    ids=["same-config", "planted-difference"])


@EQUIVALENCE_CASES
def test_fast_trainer_is_equivalent_to_fit_across_seeds(smoke_data, fit_finals, optimizer, expected):
    assert_equivalence_to_fit("xla", optimizer, expected, smoke_data, fit_finals)


def assert_equivalence_to_fit(trainer: str, optimizer: str, expected: Verdict, data, fit_finals: dict) -> None:
    """TOST over ``SEEDS`` of ``trainer``'s final metrics (sigmoid, one BN layer, ``optimizer``)
    against ``fit``'s with SGD: ``expected`` is SUPPORTED for SGD, REFUTED for a planted Adam."""
    fast = [train_run(ModelConfig("sigmoid", bn_layers=1, optimizer=optimizer), seed, SMOKE, data=data, trainer=trainer)
            for seed in SEEDS]
    for name, margin in FINAL_MARGINS.items():
        result = equivalence([getattr(run, name)[-1] for run in fast], fit_finals[name],
                             margin=margin, paired=True, labels=(trainer, "fit"))
        assert result.verdict == expected, result.message


def test_a_diverging_run_is_recorded_with_its_epoch(smoke_data, monkeypatch):
    monkeypatch.setattr(models, "LEARNING_RATE", 1e9)
    training._epoch_loop.cache_clear()  # compiled loops hold their optimizer
    try:
        run = train_run(ModelConfig("relu", optimizer="sgd"), 0, SMOKE, data=smoke_data)
    finally:
        training._epoch_loop.cache_clear()
    assert run.diverged and run.diverged_epoch == 1
    assert math.isnan(run.train_loss[0]) and len(run.train_loss) == SMOKE.epochs


def test_learning_rates_share_one_compiled_loop_that_runs_each_rate(smoke_data):
    """Tuning trains a configuration at many rates; they share a compiled loop (the rate is an
    optimizer variable), and a run on a shared loop gives a fresh loop's numbers at its own rate."""
    fast, slow = ModelConfig("sigmoid", bn_layers=1, learning_rate=0.1), ModelConfig("sigmoid", bn_layers=1, learning_rate=0.001)
    training._epoch_loop.cache_clear()
    try:
        fresh = train_run(fast, 0, SMOKE, data=smoke_data)
        other = train_run(slow, 0, SMOKE, data=smoke_data)
        shared = train_run(fast, 0, SMOKE, data=smoke_data)
        loop = training._epoch_loop(training.compiled_as(fast))
        assert training._epoch_loop.cache_info().currsize == 1
        assert float(loop.optimizer.learning_rate) == pytest.approx(0.1)
    finally:
        training._epoch_loop.cache_clear()
    assert other.train_loss != fresh.train_loss
    assert (shared.train_loss, shared.test_loss, shared.test_accuracy) == (fresh.train_loss, fresh.test_loss, fresh.test_accuracy)


def test_unknown_trainer_is_refused(smoke_data):
    with pytest.raises(ValueError, match="trainer"):
        train_run(ModelConfig(), 0, SMOKE, data=smoke_data, trainer="jax")


def sigmoid_bn1_hidden_outputs(weights, x):
    """The four hidden sigmoid outputs of sigmoid-bn1 by hand (BN after the first layer, in
    inference mode), from ``model.get_weights()``: W1 b1 gamma beta mean var W2 b2 ... W5 b5."""
    w1, b1, gamma, beta, mean, var, *rest = weights
    first = 1 / (1 + np.exp(-(x @ w1 + b1)))
    outputs, h = [first], gamma * (first - mean) / np.sqrt(var + 1e-3) + beta
    for w, b in zip(rest[0:6:2], rest[1:6:2]):
        h = 1 / (1 + np.exp(-(h @ w + b)))
        outputs.append(h)
    return outputs


def test_probes_summarise_every_hidden_layer(smoke_data, monkeypatch):
    # Kernels 8x their initial scale drive many sigmoid units past the band (shares 0.28-0.70
    # after 2 epochs at smoke scale, different per layer and epoch); at the normal scale every
    # share is 0, so a probe with the wrong layer, band or images would look right.
    initial = training.initial_weights
    monkeypatch.setattr(training, "initial_weights",
                        lambda config, seed: [w * 8 if w.ndim == 2 else w for w in initial(config, seed)])
    start, weights_by_epoch = training._start_xla, []

    def recording_start(config, seed, data):  # keeps the weights after each epoch, as the probe saw them
        model, run_epoch, evaluate = start(config, seed, data)

        def recorded_epoch(order):
            row = run_epoch(order)
            weights_by_epoch.append(model.get_weights())
            return row

        return model, recorded_epoch, evaluate

    monkeypatch.setattr(training, "_start_xla", recording_start)
    run = train_run(ModelConfig("sigmoid", bn_layers=1), 0, SMOKE, data=smoke_data)
    layers = run.extras["layers"]
    assert len(layers) == 4
    for layer in layers:
        assert 0.0 <= layer["saturated"] <= 1.0
        assert sum(layer["histogram"]["counts"]) > 0
        q = list(layer["quantiles"].values())
        assert q == sorted(q)
    drift = run.extras["batch_stats"]
    assert list(drift) == ["4", "64", "256"]  # 1024 exceeds the smoke scale's 1,000 images
    # After 2 tiny epochs the moving averages have barely left their start (0 and 1), so the
    # drift is mostly that offset; its shrinking with batch size is shown in test_probes.py.
    assert all(v >= 0 and np.isfinite(v) for size in drift.values() for v in size.values())
    # Each epoch's shares against a hand computation on the first 2,000 test images (all 1,000
    # here) with the band (0.05, 0.95). They agree exactly today; 1e-4 lets float32 round-off
    # flip a few dozen of a layer's 64,000-512,000 outputs at the band's edge, while a wrong band
    # or layer moves shares by 0.1 or more, and the training images for the test ones by 0.001-0.013.
    saturation = run.extras["saturation_by_epoch"]
    assert len(saturation) == len(weights_by_epoch) == SMOKE.epochs
    for epoch, weights in zip(saturation, weights_by_epoch):
        outputs = sigmoid_bn1_hidden_outputs(weights, smoke_data.x_test[:2_000])
        expected = [float(np.mean((h < 0.05) | (h > 0.95))) for h in outputs]
        assert min(expected) > 0.1 and epoch == pytest.approx(expected, abs=1e-4)
    assert [layer["saturated"] for layer in layers] == pytest.approx(saturation[-1], abs=1e-4)


def test_an_epoch_in_parts_makes_the_epochs_own_steps():
    order = np.arange(1_000)
    parts = training.epoch_parts(order, 128, 3)  # 8 batches: 3, 2 and 3 of them, the partial last
    assert [len(p) for p in parts] == [384, 256, 360]
    np.testing.assert_array_equal(np.concatenate(parts), order)
    assert [len(p) for p in training.epoch_parts(order, 512, 10)] == [512, 488]  # no empty parts
    assert [len(p) for p in training.epoch_parts(order, 128, 1)] == [1_000]


@pytest.mark.parametrize("config, trainer", [(ModelConfig("sigmoid", bn_layers=1), "xla"),
                                             (ModelConfig("relu", bn_layers=0, optimizer="adam"), "xla"),
                                             (ModelConfig("sigmoid", bn_layers=1), "fit")],
                         ids=["sigmoid-bn1", "relu-adam", "sigmoid-bn1-fit"])
def test_a_checkpointed_run_trains_as_the_plain_run_and_reads_each_part(smoke_data, config, trainer):
    """Checkpoints change what a run records, not how it trains: its epochs' numbers are the
    plain run's (up to the order of float additions), and each epoch's last checkpoint is its end."""
    plain = train_run(config, 0, SMOKE, data=smoke_data, trainer=trainer)
    read = train_run(replace(config, checkpoints=3), 0, SMOKE, data=smoke_data, trainer=trainer)
    for name in ("train_loss", "train_accuracy", "test_loss", "test_accuracy"):
        np.testing.assert_allclose(getattr(read, name), getattr(plain, name), rtol=1e-5, err_msg=name)
    np.testing.assert_allclose(read.extras["saturation_by_epoch"], plain.extras["saturation_by_epoch"], atol=1e-4)
    marks = read.extras["checkpoints"]
    assert marks["step"] == [3, 5, 8, 11, 13, 16]  # 8 steps an epoch, in parts of 3, 2 and 3
    ends = [2, 5]  # each epoch's last checkpoint
    assert [marks["test_loss"][i] for i in ends] == list(read.test_loss)
    assert [marks["saturation"][i] for i in ends] == read.extras["saturation_by_epoch"]
    assert len(set(marks["test_loss"])) == 6  # read afresh at every checkpoint
    assert "checkpoints" not in plain.extras


def test_models_without_bn_have_no_batch_stats(smoke_data):
    run = train_run(ModelConfig("relu", bn_layers=0), 0, SMOKE, data=smoke_data)
    assert "batch_stats" not in run.extras and len(run.extras["layers"]) == 4


def test_resampled_runs_train_on_their_own_stratified_bootstrap(smoke_data):
    from dataclasses import replace as with_
    from fixtures.training.data import stratified_bootstrap

    labels = smoke_data.labels_train
    rows = {seed: stratified_bootstrap(labels, seed) for seed in (0, 1)}
    for seed, chosen in rows.items():
        assert np.array_equal(np.bincount(labels[chosen], minlength=10), np.bincount(labels, minlength=10))
        assert len(np.unique(chosen)) < len(labels)  # drawn with replacement
        assert np.array_equal(chosen, stratified_bootstrap(labels, seed))  # a function of the seed
    assert not np.array_equal(rows[0], rows[1])
    fixed = train_run(ModelConfig("relu"), 0, SMOKE, data=smoke_data)
    resampled = train_run(ModelConfig("relu"), 0, with_(SMOKE, resample=True), data=smoke_data)
    assert resampled.budget["resample"] == "stratified-bootstrap" and "resample" not in fixed.budget
    assert resampled.train_loss != fixed.train_loss


def test_a_diverged_run_counts_at_the_worst_value():
    from fixtures.claims.metrics import CHANCE_ACCURACY, final_test_accuracy, mean_train_loss
    from fixtures.training.results import RunResult

    nan = math.nan
    run = RunResult({}, 0, {}, "t", (2.5, nan, nan), (0.2, nan, nan), (2.4, nan, nan),
                    (0.3, nan, nan), (1.0, nan, nan), diverged_epoch=2)
    assert mean_train_loss(run) == pytest.approx(2.5)  # the worst seen, above ln 10
    assert final_test_accuracy(run) == CHANCE_ACCURACY
