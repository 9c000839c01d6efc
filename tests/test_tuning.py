"""The lr-tuned variant's tuning design: each rule with a test that fails when the rule breaks.

With fakes (no training), each rule of ``fixtures/execution/tuning.py``:
- the tuning seeds are at least two and none is a claim seed at any scale (tuning on seed 0,
  the first claim seed, would leak); a scale whose seeds reach them is refused;
- a rate's score is the mean over the tuning seeds (seed 1000 alone, or the best seed, would
  choose another rate here), and a rate with a diverged tuning seed never wins;
- a winning edge of the grid extends it by half-decades until the best is inside, and no
  further than the limits (1e-5 to 10; the smoke scale one half-decade beyond its two rates);
- the declared criterion (mean validation accuracy over the epochs) chooses; the best rates
  under the final validation accuracy and the mean training loss are recorded beside it;
- an epoch drawn from the reduced training set has the claim epoch's images, every image drawn
  equally often (give or take one), and whole epochs are the permutations they always were.

End to end, in one lr-tuned session at smoke scale (trained once for the module):
- tuning runs train on the training set less the held-out split, are scored on that split
  (never on the test set), run on the tuning seeds only, and make exactly the claim run's
  updates, for a configuration with its own epochs (1, at batch 64) too;
- the rate with the best mean over the tuning seeds reaches the claim runs (their stored
  identity), and the evidence records each tuning seed's score at each rate, as the stored runs
  give them.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
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
from fixtures.training.results import RunResult
from fixtures.training.scales import SCALES, resolve_scale, with_variant
from fixtures.training.trainer import batch_orders, scaled_data

NET = ModelConfig("sigmoid", bn_layers=1)
SHORT = ModelConfig("sigmoid", 1, "sgd", 64, epochs=1)  # D7u's one-epoch arm: its own epochs
NEEDED = [NET, ModelConfig("sigmoid", bn_layers=0), SHORT]
SMOKE = SCALES["smoke"]
GRID = SMOKE.tuning_rates  # two rates; 0.01 (the article's) shares the article's run key


# -- fakes: tuning runs whose scores are a given function of (rate, seed) ------------------------

def fake_run(config: ModelConfig, seed: int, accuracy: list[float] | None, loss: list[float] | None = None) -> RunResult:
    """A run with these per-epoch validation accuracies (None: diverged) and training losses."""
    if accuracy is None:
        nan = (math.nan,)
        return RunResult(config=config.to_dict(), seed=seed, budget={}, trainer="fake", train_loss=nan,
                         train_accuracy=nan, test_loss=nan, test_accuracy=nan, epoch_seconds=(1.0,), diverged_epoch=1)
    loss = loss or [1.0] * len(accuracy)
    return RunResult(config=config.to_dict(), seed=seed, budget={}, trainer="fake", train_loss=tuple(loss),
                     train_accuracy=tuple(accuracy), test_loss=tuple(loss), test_accuracy=tuple(accuracy),
                     epoch_seconds=(1.0,) * len(accuracy))


class FakeTuning:
    """Stands for the tuning ``Runs``: ``curves(rate, seed)`` gives a run's (validation
    accuracies, training losses); every (config, seed) asked for is kept in ``asked``."""

    def __init__(self, curves, scale=SCALES["ci"]):
        self.curves = curves
        self.scale = tuning.tuning_scale(with_variant(scale, "lr-tuned"))
        self.asked: list[tuple[float, int]] = []
        self.trained: list[tuple[list[float], int]] = []

    def get(self, config: ModelConfig, seed: int) -> RunResult:
        self.asked.append((config.rate, seed))
        found = self.curves(config.rate, seed)
        return fake_run(config, seed, *found) if isinstance(found, tuple) else fake_run(config, seed, found)

    def train(self, configs: list[ModelConfig], count: int) -> None:
        self.trained.append(([c.rate for c in configs], count))

    def tune(self, config: ModelConfig = NET) -> tuning.Tuned:
        return tuning.tune_rates(self, [config], self.train)[config.label]


def peaked(peak: float, by_seed=lambda seed: 0.0):
    """Validation accuracy falling off by half-decades from ``peak`` (plus a per-seed shift)."""
    return lambda rate, seed: [0.9 - 0.05 * abs(2 * math.log10(rate / peak)) + by_seed(seed)]


# -- seeds ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(SCALES))
def test_tuning_seeds_are_at_least_two_and_none_is_a_claim_seed(name):
    scale = tuning.tuning_scale(with_variant(SCALES[name], "lr-tuned"))
    assert len(tuning.TUNING_SEEDS) >= 2 and scale.seeds == tuning.TUNING_SEEDS
    assert not set(scale.seeds) & set(SCALES[name].seeds)


def test_a_scale_whose_seeds_reach_the_tuning_seeds_is_refused():
    with pytest.raises(ValueError, match="must not be claim seeds"):
        tuning.tuning_scale(with_variant(resolve_scale("ci", seeds=1001), "lr-tuned"))


def test_every_tuning_seed_is_trained_and_read_and_no_other():
    fake = FakeTuning(peaked(0.1))
    fake.tune()
    assert {count for _, count in fake.trained} == {len(tuning.TUNING_SEEDS)}
    assert {seed for _, seed in fake.asked} == set(tuning.TUNING_SEEDS)


def test_a_configuration_that_only_records_more_is_tuned_as_its_network():
    fake = FakeTuning(peaked(0.1))
    read = replace(NET, checkpoints=10)  # L1's arm: the same network, read within epochs
    tuned = tuning.tune_rates(fake, [read, NET], fake.train)
    assert list(tuned) == [NET.label] and tuned[NET.label].rate == 0.1
    assert len(fake.trained[0][0]) == len(tuning.GRID)  # one grid, not one per configuration


# -- the mean over tuning seeds --------------------------------------------------------------------

def test_the_mean_over_the_tuning_seeds_chooses_the_rate():
    """Seed 1000 prefers 0.0316 (0.90 against 0.85), seed 1001 prefers 0.1 by more (0.88 against
    0.70): the mean (0.80 against 0.865) chooses 0.1; seed 1000 alone or the best single score
    would choose 0.0316."""
    scores = {(0.0316, 1000): 0.90, (0.1, 1000): 0.85, (0.0316, 1001): 0.70, (0.1, 1001): 0.88}
    tuned = FakeTuning(lambda rate, seed: [scores.get((rate, seed), 0.5)]).tune()
    assert tuned.rate == 0.1 and not tuned.extended
    by_seed = tuned.to_dict()["criteria"][tuning.CHOSEN_BY.name]["by_seed"]
    assert [row[tuned.rates.index(0.0316)] for row in by_seed] == [0.90, 0.70]


def test_a_rate_with_one_diverged_tuning_seed_never_wins():
    tuned = FakeTuning(lambda rate, seed: None if (rate, seed) == (0.316, 1001) else
                       [{0.1: 0.8, 0.316: 0.95}.get(rate, 0.5)]).tune()
    assert tuned.rate == 0.1
    assert tuned.to_dict()["criteria"][tuning.CHOSEN_BY.name]["mean"][tuned.rates.index(0.316)] is None


# -- the grid extended at its edge -----------------------------------------------------------------

@pytest.mark.parametrize("peak, added, chosen", [
    (3.16, (3.16, 10.0), 3.16),  # above the grid: 1.0 wins, then 3.16, which 10 does not beat
    (0.0001, (3.16e-05, 0.0001, 0.000316), 0.0001),  # below it (rates ascending)
    (0.0316, (), 0.0316),  # inside: nothing added
])
def test_a_winning_edge_extends_the_grid_until_the_best_is_inside(peak, added, chosen):
    fake = FakeTuning(peaked(peak))
    tuned = fake.tune()
    assert tuned.rate == chosen and tuned.extended == added and not tuned.at_limit
    assert tuned.rates == tuple(sorted(tuning.GRID + added))
    trained = {rate for rates, _ in fake.trained for rate in rates}
    assert trained == set(tuned.rates)  # each added rate was trained (on the tuning seeds)


@pytest.mark.parametrize("scale, rising, rates, chosen", [
    ("ci", True, (*tuning.GRID, 3.16, 10.0), 10.0),
    ("ci", False, (1e-05, 3.16e-05, 0.0001, 0.000316, *tuning.GRID), 1e-05),
    ("smoke", True, (0.01, 0.1, 0.316), 0.316),  # one half-decade beyond the smoke scale's rates
    ("smoke", False, (0.00316, 0.01, 0.1), 0.00316),
])
def test_the_extension_stops_at_the_limit_and_says_so(scale, rising, rates, chosen):
    """Accuracy that only grows (or only falls) with the rate: the grid extends up to the limit."""
    fake = FakeTuning(lambda rate, seed: [0.5 + (0.1 if rising else -0.1) * math.log10(rate)], SCALES[scale])
    tuned = fake.tune()
    assert tuned.rates == rates and tuned.rate == chosen and tuned.at_limit
    assert all(rate in rates for trained, _ in fake.trained for rate in trained)


# -- the criterion ---------------------------------------------------------------------------------

def test_the_declared_criterion_chooses_and_the_others_are_recorded():
    """Mean validation accuracy over the epochs prefers 0.1 (fast), the final one 0.0316 (ends
    higher), the mean training loss 0.316."""
    curves = {0.0316: ([0.5, 0.96], [0.5, 0.4]), 0.1: ([0.9, 0.95], [0.4, 0.3]),
              0.316: ([0.85, 0.9], [0.2, 0.1])}
    tuned = FakeTuning(lambda rate, seed: curves.get(rate, ([0.3, 0.4], [1.0, 0.9]))).tune()
    assert tuning.CHOSEN_BY.name == "mean validation accuracy"
    assert tuned.rate == 0.1
    best = {name: part["best"] for name, part in tuned.to_dict()["criteria"].items()}
    assert best == {"mean validation accuracy": 0.1, "final validation accuracy": 0.0316, "mean training loss": 0.316}


# -- epochs of the claim's size from the reduced training set --------------------------------------

def test_an_epoch_drawn_from_fewer_images_has_the_claim_epochs_size_and_draws_each_image_evenly():
    orders = batch_orders(7, 800, 3, 1000)
    assert [order.shape[0] for order in orders] == [1000] * 3
    counts = np.bincount(np.concatenate(orders), minlength=800)
    assert counts.min() >= 3 and counts.max() <= 4 and counts.size == 800  # 3000 draws of 800 images
    # Epochs of the training set's own size are the permutations they always were (run keys keep).
    rng = np.random.default_rng(7)
    for order in batch_orders(7, 800, 3):
        np.testing.assert_array_equal(order, rng.permutation(800))


@pytest.mark.parametrize("config", NEEDED + [ModelConfig("sigmoid", 1, "sgd", 1024, epochs=16)], ids=lambda c: c.label)
@pytest.mark.parametrize("name", ["ci", "article"])
def test_a_tuning_run_is_planned_with_the_claim_runs_updates(config, name):
    claim = SCALES[name]
    scale = tuning.tuning_scale(with_variant(claim, "lr-tuned"))
    reduced = claim.train_size - scale.validation
    epochs = config.epochs or claim.epochs
    orders = batch_orders(0, reduced, epochs, scale.epoch_images or None)
    steps = sum(math.ceil(order.shape[0] / config.batch_size) for order in orders)
    assert steps == tuning.claim_updates(config, claim) == math.ceil(claim.train_size / config.batch_size) * epochs


# -- end to end, at smoke scale --------------------------------------------------------------------

@pytest.fixture(scope="module")
def tuned(tmp_path_factory, mnist_path):
    """A session of the lr-tuned variant at smoke scale (trained once for the module); every
    run's (config, seed, training images, evaluation images, each epoch's images) recorded."""
    folder = tmp_path_factory.mktemp("tuned")
    seen = []
    start = trainer._start_xla

    def recording(config, seed, data):
        epochs = []
        seen.append((config, seed, data, epochs))
        model, run_epoch, evaluate = start(config, seed, data)

        def counted(order):
            epochs.append(order)
            return run_epoch(order)

        return model, counted, evaluate

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(ENV_VAR, str(mnist_path))
        patch.setattr(trainer, "_start_xla", recording)
        settings = Settings(scale=SMOKE, trainer="xla", threads=1, workers=1,  # one worker: trained here
                            store=folder / "runs.sqlite", fresh=False, report_dir=folder / "out",
                            variants=("lr-tuned",))
        store = RunStore(settings.store)
        sessions = VariantSessions(settings, store, [], {"article": NEEDED}, None)
        runs = sessions.runs("lr-tuned")
        yield sessions, runs, seen
        store.close()


def rows(images: np.ndarray) -> set[bytes]:
    return {row.tobytes() for row in images}


def tuning_runs_of(seen):
    return [entry for entry in seen if entry[1] in tuning.TUNING_SEEDS]


def test_tuning_runs_are_scored_on_training_images_never_on_the_test_set(tuned):
    sessions, _, seen = tuned
    data = scaled_data(SMOKE.train_size, SMOKE.test_size)
    validation = tuning.tuning_scale(with_variant(SMOKE, "lr-tuned")).validation
    assert validation == SMOKE.train_size // 5
    train_rows, test_rows = rows(data.x_train), rows(data.x_test)
    tried = {t.label: t.rates for t in sessions.scale("lr-tuned").variant.tuning}
    # Every configuration at every rate it tried, on each tuning seed, and nothing else held out.
    assert sorted((c.label, s) for c, s, _, _ in tuning_runs_of(seen)) == sorted(
        (c.label, seed) for config in NEEDED for c in tuning.candidates(config, tried[config.label])
        for seed in tuning.TUNING_SEEDS)
    for config, _, used, epochs in tuning_runs_of(seen):
        assert used.x_test.shape[0] == validation, config.label
        assert rows(used.x_test) <= train_rows, f"{config.label}: scored on images outside the training set"
        assert not rows(used.x_test) & test_rows, f"{config.label}: scored on test images"
        drawn = np.unique(np.concatenate(epochs))  # the images it trained on: none of the split
        assert drawn.size == SMOKE.train_size - validation and not rows(used.x_train[drawn]) & rows(used.x_test)
    # The claim runs are the ones on the claim seeds, trained on all the images and evaluated on the test set.
    claim_runs = [entry for entry in seen if entry[1] in SMOKE.seeds]
    assert len(claim_runs) + len(tuning_runs_of(seen)) == len(seen)
    assert claim_runs and all(rows(used.x_test) == test_rows for _, _, used, _ in claim_runs)


def test_tuning_runs_make_the_claim_runs_updates(tuned):
    _, _, seen = tuned
    updates = {}
    for config, seed, _, epochs in seen:
        steps = sum(math.ceil(order.shape[0] / config.batch_size) for order in epochs)
        updates.setdefault((config.label.split("-lr")[0], seed in tuning.TUNING_SEEDS), set()).add(steps)
    for config in NEEDED:
        claim = tuning.claim_updates(config, SMOKE)
        assert updates[(config.label, False)] == {claim}, config.label  # the claim runs, as a check
        assert updates[(config.label, True)] == {claim}, config.label  # every tuning run of it


def test_the_best_mean_validation_rate_reaches_the_runs_and_the_evidence(tuned):
    sessions, runs, _ = tuned
    tuning_runs = sessions._tuning["lr-tuned"]
    records = {t.label: t for t in runs.scale.variant.tuning}
    expected = {}
    for config in NEEDED:
        rates = records[config.label].rates
        assert set(GRID) <= set(rates)
        by_seed = [[float(np.mean(tuning_runs.stored(c, seed).test_accuracy)) for c in tuning.candidates(config, rates)]
                   for seed in tuning.TUNING_SEEDS]
        expected[config.label] = rates[int(np.argmax(np.mean(by_seed, axis=0)))]  # argmax: the smaller on a tie
        recorded = records[config.label].to_dict()
        assert recorded["seeds"] == list(tuning.TUNING_SEEDS)
        np.testing.assert_allclose(recorded["criteria"]["mean validation accuracy"]["by_seed"], by_seed, rtol=1e-12)
        assert recorded["updates"] == tuning.claim_updates(config, SMOKE)
    assert dict(runs.scale.variant.rates) == expected
    for config in NEEDED:
        rate = expected[config.label]
        identity = runs.identity(config, SMOKE.seeds[0])
        assert identity["config"].get("learning_rate") == (None if rate == LEARNING_RATE else rate)
        assert runs.stored(config, SMOKE.seeds[0]) is not None  # the first round was trained
    evidence = build_evidence(runs, [], Path.cwd())
    variant = evidence["settings"]["scale"]["variant"]
    assert variant["rates"] == expected
    assert set(variant["tuning"]) == {config.label for config in NEEDED}
    for label, record in variant["tuning"].items():
        assert record["rate"] == expected[label]
        for criterion in tuning.CRITERIA:
            assert np.shape(record["criteria"][criterion.name]["by_seed"]) == (len(tuning.TUNING_SEEDS), len(record["rates"]))
    assert json.loads(json.dumps(evidence["settings"]["scale"])) == runs.scale.to_dict()  # reads back equal
