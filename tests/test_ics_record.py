"""``record_probes`` (fixtures/training/ics/record.py): a few steps of a tiny run on random images,
recorded at declared steps as plain JSON; the same numbers from the same seed, the same training
whether or not it is probed, and the lists the claims will read, in their declared shapes.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest

from fixtures.training.ics.record import record_probes
from fixtures.training.models import ModelConfig

STEPS = 6
PROBES = (0, 3, 6)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, size=400)
    return SimpleNamespace(x_train=rng.random((300, 784)).astype("float32"), y_train=np.eye(10, dtype="float32")[labels[:300]],
                           x_test=rng.random((100, 784)).astype("float32"), y_test=np.eye(10, dtype="float32")[labels[300:]])


def config(**kwargs) -> ModelConfig:
    """Ioffe & Szegedy's shape, narrowed to 8-8-8 units so the test takes seconds."""
    return ModelConfig("sigmoid", 3, "sgd", 60, bn_position="before", hidden_units=(8, 8, 8), **kwargs)


@pytest.fixture(scope="module")
def noisy_run(data):
    return record_probes(config(noise_shift=0.5, noise_scale=1.5), 1, data, steps=STEPS, probe_steps=PROBES, probe_images=50)


def test_the_same_seed_gives_identical_json(data, noisy_run):
    again = record_probes(config(noise_shift=0.5, noise_scale=1.5), 1, data, steps=STEPS, probe_steps=PROBES, probe_images=50)
    assert json.dumps(again, allow_nan=False) == json.dumps(noisy_run, allow_nan=False)


def test_probing_does_not_change_the_training(data, noisy_run):
    unprobed = record_probes(config(noise_shift=0.5, noise_scale=1.5), 1, data, steps=STEPS, probe_steps=[STEPS], probe_images=50)
    assert unprobed["train_loss"] == noisy_run["train_loss"]
    assert unprobed["test_accuracy"][-1] == noisy_run["test_accuracy"][-1]
    assert unprobed["ics"]["l2"][-1] == noisy_run["ics"]["l2"][-1]


def test_the_record_has_the_declared_shapes(noisy_run):
    n = len(PROBES)
    assert noisy_run["label"] == "sigmoid-bn3-sgd-bs60-pre-h8x8x8-noise0.5_1.5"
    assert len(noisy_run["train_loss"]) == STEPS and noisy_run["probe_steps"] == list(PROBES)
    assert noisy_run["diverged_at"] is None
    assert np.shape(noisy_run["percentiles"]["values"]) == (n, 3, 8)  # probe x (15, 50, 85) x unit
    assert noisy_run["ics"]["layers"] == [1, 2, 3]  # hidden 2, hidden 3 and the softmax layer
    assert np.shape(noisy_run["ics"]["l2"]) == np.shape(noisy_run["ics"]["cosine"]) == (n, 3)
    assert np.shape(noisy_run["smoothness"]["loss"]) == (n, len(noisy_run["smoothness"]["etas"]))
    assert len(noisy_run["smoothness"]["beta"]) == len(noisy_run["test_accuracy"]) == n
    percentiles = np.array(noisy_run["percentiles"]["values"])
    assert (percentiles[:, 0] <= percentiles[:, 1]).all() and (percentiles[:, 1] <= percentiles[:, 2]).all()
    assert all(-1.0 <= c <= 1.0 for row in noisy_run["ics"]["cosine"] for c in row)


def test_noise_moves_training_but_not_the_start(data, noisy_run):
    plain = record_probes(config(), 1, data, steps=STEPS, probe_steps=PROBES, probe_images=50)
    # same initial weights and no noise at inference: the step-0 test numbers agree
    assert plain["test_loss"][0] == noisy_run["test_loss"][0]
    assert plain["percentiles"]["values"][0] == noisy_run["percentiles"]["values"][0]
    assert plain["train_loss"][0] != noisy_run["train_loss"][0]  # the noise is on in training


def test_the_probes_see_the_network_batch_and_noise_of_their_step(noisy_run):
    # the gradient probes' loss at the unmoved weights is the loss that training step computed
    for i, t in enumerate(PROBES[:-1]):
        assert noisy_run["smoothness"]["loss_start"][i] == pytest.approx(noisy_run["train_loss"][t], rel=1e-6)


def test_a_diverging_run_stops_and_says_where(data):
    # inputs scaled by 1e10 and a rate of 1e5: the first step overflows float32
    data = SimpleNamespace(**{**vars(data), "x_train": data.x_train * 1e10})
    run = record_probes(ModelConfig("relu", 0, "sgd", 60, hidden_units=(8,), learning_rate=1e5), 0, data,
                        steps=STEPS, probe_steps=PROBES, probe_images=50)
    assert run["diverged_at"] is not None and 0 < run["diverged_at"] <= STEPS
    assert len(run["train_loss"]) == run["diverged_at"]
    assert run["probe_steps"] == [t for t in PROBES if t < run["diverged_at"]]
    json.dumps(run, allow_nan=False)


def test_probe_steps_outside_the_run_are_refused(data):
    with pytest.raises(ValueError, match="probe steps"):
        record_probes(config(), 0, data, steps=3, probe_steps=[4])
