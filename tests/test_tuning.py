"""The lr-tuned variant end to end, at the smoke scale (which tunes over two rates of the grid).

What must hold, and what each assertion would catch:
- a tuning run trains on the training set less the held-out split and is scored on that split:
  its evaluation images come from the training set, never from the test set (a trainer that
  forgot to hold the split out would score rates on the test set);
- the session tunes exactly the grid's rates for every configuration it needs, on the tuning seed;
- the rate each configuration gets is the one with the best final validation accuracy among the
  stored tuning runs, and it reaches the claim runs (their stored identity) and the evidence.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fixtures.evidence import build_evidence
from fixtures.execution import tuning
from fixtures.execution.store import RunStore
from fixtures.sessions import VariantSessions
from fixtures.settings import Settings
from fixtures.training import trainer
from fixtures.training.data import ENV_VAR
from fixtures.training.models import LEARNING_RATE, ModelConfig
from fixtures.training.scales import SCALES, with_variant
from fixtures.training.trainer import scaled_data

NEEDED = [ModelConfig("sigmoid", bn_layers=1), ModelConfig("sigmoid", bn_layers=0)]
SMOKE = SCALES["smoke"]
GRID = SMOKE.tuning_rates  # two rates; 0.01 (the article's) shares the article's run key


@pytest.fixture(scope="module")
def tuned(tmp_path_factory, mnist_path):
    """A session of the lr-tuned variant at smoke scale (trained once for the module); every
    run's (config, seed, training images, evaluation images) recorded as it starts training."""
    folder = tmp_path_factory.mktemp("tuned")
    seen = []
    start = trainer._start_xla

    def recording(config, seed, data):
        seen.append((config, seed, data.x_train.shape[0], data.x_test))
        return start(config, seed, data)

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(ENV_VAR, str(mnist_path))
        patch.setattr(trainer, "_start_xla", recording)
        settings = Settings(scale=SMOKE, trainer="xla", threads=1, workers=1,  # one worker: trained here
                            store=folder / "runs.sqlite", fresh=False, report_dir=folder / "out",
                            variants=("lr-tuned",))
        store = RunStore(settings.store)
        sessions = VariantSessions(settings, store, [], NEEDED, None)
        runs = sessions.runs("lr-tuned")
        yield sessions, runs, seen
        store.close()


def rows(images: np.ndarray) -> set[bytes]:
    return {row.tobytes() for row in images}


def test_tuning_runs_are_scored_on_training_images_never_on_the_test_set(tuned):
    _, _, seen = tuned
    data = scaled_data(SMOKE.train_size, SMOKE.test_size)
    validation = tuning.tuning_scale(with_variant(SMOKE, "lr-tuned")).validation
    assert validation == SMOKE.train_size // 5
    train_rows, test_rows = rows(data.x_train), rows(data.x_test)
    tuning_runs = [(c, s, x) for c, s, n, x in seen if n == SMOKE.train_size - validation]
    # Every configuration at every rate of the grid, on the tuning seed, and nothing else held out.
    assert sorted((c.label, s) for c, s, _ in tuning_runs) == sorted(
        (c.label, tuning.TUNING_SEED) for config in NEEDED for c in tuning.candidates(config, GRID))
    for config, _, evaluated in tuning_runs:
        assert evaluated.shape[0] == validation, config.label
        assert rows(evaluated) <= train_rows, f"{config.label}: scored on images outside the training set"
        assert not rows(evaluated) & test_rows, f"{config.label}: scored on test images"
    # The claim runs are the ones that train on all the images and are evaluated on the test set.
    claim_runs = [(c, x) for c, _, n, x in seen if n == SMOKE.train_size]
    assert len(claim_runs) + len(tuning_runs) == len(seen)
    assert claim_runs and all(rows(x) == test_rows for _, x in claim_runs)


def test_the_best_validation_rate_reaches_the_runs_and_the_evidence(tuned):
    sessions, runs, _ = tuned
    tuning_runs = sessions._tuning["lr-tuned"]
    expected = {}
    for config in NEEDED:
        scores = [tuning_runs.stored(c, tuning.TUNING_SEED).test_accuracy[-1] for c in tuning.candidates(config, GRID)]
        expected[config.label] = GRID[int(np.argmax(scores))]  # argmax takes the first (smaller) on a tie
    assert dict(runs.scale.variant.rates) == expected
    for config in NEEDED:
        rate = expected[config.label]
        identity = runs.identity(config, SMOKE.seeds[0])
        assert identity["config"].get("learning_rate") == (None if rate == LEARNING_RATE else rate)
        assert runs.stored(config, SMOKE.seeds[0]) is not None  # the first round was trained
    evidence = build_evidence(runs, [], Path.cwd())
    assert evidence["settings"]["scale"]["variant"]["rates"] == expected
