"""Variants of the article's setup: names, what each trains, how runs are keyed, and tuning."""

import argparse
import math
from dataclasses import replace

import keras
import numpy as np
import pytest

from fixtures.training.data import load_mnist, subset
from fixtures.training.models import ModelConfig, build_model
from fixtures.training.probes import first_bn_input, hidden_outputs
from fixtures.training.results import RunResult
from fixtures.execution.runs import Runs
from fixtures.training.scales import SCALES, with_variant
from fixtures.execution.store import RunStore
from fixtures.training.trainer import held_out
from fixtures.execution.tuning import GRID, best_rate, candidates, grid_of, tuning_scale
from fixtures.training.variants import VARIANTS, variant_names

NET = ModelConfig("sigmoid", 1)


@pytest.fixture(scope="module")
def smoke_data(mnist_path):
    return subset(load_mnist(mnist_path), 1_000, 1_000)


def test_all_names_every_variant_and_a_bad_name_lists_the_choices():
    assert variant_names("all") == tuple(VARIANTS)
    assert variant_names("article,fashion-mnist") == ("article", "fashion-mnist")
    with pytest.raises(argparse.ArgumentTypeError, match="unknown variant 'bn-first'; choose from article, "
                       "bn-before-activation, lr-tuned, fashion-mnist, resampled-data or all"):
        variant_names("bn-first")


def test_a_bad_variant_is_a_one_line_usage_error(pytester):
    pytester.makeconftest('pytest_plugins = ["fixtures.plugin"]')
    result = pytester.runpytest("--variant=bn-first")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unknown variant 'bn-first'; choose from article*or all*"])


@pytest.mark.parametrize("name, label", [
    ("article", "sigmoid-bn1-sgd-bs128"),
    ("bn-before-activation", "sigmoid-bn1-sgd-bs128-pre"),
    ("fashion-mnist", "sigmoid-bn1-sgd-bs128"),
    ("resampled-data", "sigmoid-bn1-sgd-bs128"),
])
def test_each_variant_trains_its_own_configuration(name, label):
    assert VARIANTS[name].apply(NET).label == label
    assert VARIANTS[name].apply(ModelConfig("sigmoid", 0)) == ModelConfig("sigmoid", 0)  # no BN to move


def test_tuned_rates_apply_and_the_article_rate_keeps_the_article_run():
    tuned = VARIANTS["lr-tuned"].with_rates({"sigmoid-bn1-sgd-bs128": 0.1, "sigmoid-bn0-sgd-bs128": 0.01})
    assert tuned.apply(NET).label == "sigmoid-bn1-sgd-bs128-lr0.1"
    assert tuned.apply(ModelConfig("sigmoid", 0)) == ModelConfig("sigmoid", 0)
    # A run with checkpoints trains the same network: its rate is that network's.
    assert tuned.apply(ModelConfig("sigmoid", 1, checkpoints=10)).label == "sigmoid-bn1-sgd-bs128-lr0.1-cp10"
    with pytest.raises(LookupError, match="no tuned learning rate for relu-bn0-sgd-bs128"):
        tuned.apply(ModelConfig("relu", 0))


def test_the_run_key_follows_what_a_variant_changes(tmp_path):
    store = RunStore(tmp_path / "s.sqlite")
    keys = {name: Runs(store=store, scale=with_variant(SCALES["ci"], name)).identity(NET, 0)
            for name in ("article", "bn-before-activation", "fashion-mnist", "resampled-data")}
    assert keys["article"]["config"] == NET.to_dict()  # the article's keys are those from before variants
    assert keys["bn-before-activation"]["config"]["bn_position"] == "before"
    assert keys["fashion-mnist"]["dataset_sha256"] != keys["article"]["dataset_sha256"]
    assert keys["resampled-data"]["budget"]["resample"] == "stratified-bootstrap"
    assert len({repr(sorted(k.items())) for k in keys.values()}) == 4
    store.close()


def test_bn_before_activation_puts_bn_between_dense_and_nonlinearity():
    model = build_model(replace(ModelConfig("sigmoid", 2), bn_position="before"))
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds[:7] == ["Dense", "BatchNormalization", "Activation", "Dense", "BatchNormalization",
                         "Activation", "Dense"]
    x = np.random.default_rng(0).random((5, 784)).astype("float32")
    outputs = hidden_outputs(model, x)
    assert [o.shape[1] for o in outputs] == [512, 256, 128, 64]
    assert all(0 < o.min() and o.max() < 1 for o in outputs)  # sigmoid outputs, never a BN output
    bn_input, bn = first_bn_input(model, x)
    np.testing.assert_allclose(bn_input, model.layers[0](x).numpy(), rtol=1e-6)  # the linear output
    assert isinstance(bn, keras.layers.BatchNormalization)


def test_the_validation_split_is_held_out_of_the_training_set(smoke_data):
    split = held_out(smoke_data, 200)
    assert split.x_train.shape[0] == smoke_data.x_train.shape[0] - 200 and split.x_test.shape[0] == 200
    train_rows = {row.tobytes() for row in split.x_train}
    assert not any(row.tobytes() in train_rows for row in split.x_test)
    assert np.bincount(split.y_test.argmax(1), minlength=10).min() > 0  # every class validates


class FakeTuning:
    """Tuning runs with given final validation accuracies (None: diverged)."""

    def __init__(self, scores):
        self.scores = dict(zip(GRID, scores))

    def get(self, config, seed):
        score = self.scores[config.rate]
        diverged = score is None
        return RunResult(config=config.to_dict(), seed=seed, budget={}, trainer="t", train_loss=(1.0,),
                         train_accuracy=(0.5,), test_loss=(1.0,), test_accuracy=(math.nan if diverged else score,),
                         epoch_seconds=(1.0,), diverged_epoch=1 if diverged else None)


@pytest.mark.parametrize("scores, best", [
    ((0.1, 0.5, 0.9, 0.95, 0.97, 0.96, None), 0.1),
    ((0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9), 0.001),  # a tie goes to the smaller rate
    ((0.2, 0.3, 0.4, 0.5, None, None, None), 0.0316),  # diverged rates never win
])
def test_the_best_validation_accuracy_chooses_the_rate(scores, best):
    assert best_rate(FakeTuning(scores), NET) == best


def test_tuning_runs_are_held_out_and_keyed_apart():
    scale = tuning_scale(with_variant(SCALES["ci"], "lr-tuned"))
    assert scale.validation == 10_000 and scale.run_budget()["validation"] == 10_000
    assert not scale.variant.tune_rate and not scale.looks
    assert [c.rate for c in candidates(NET)] == list(GRID)
    # ci and article tune over the whole grid; smoke (code paths only) over two of its rates
    assert grid_of(scale) == GRID and grid_of(tuning_scale(with_variant(SCALES["smoke"], "lr-tuned"))) == (0.01, 0.1)


PLANTED = """
import pytest
from fixtures.claims.claim import Claim, Expectation, claim_params
from fixtures.stats import directional

REFUTED = Expectation("refuted", "planted", part="", effect=-1.0, band=(-1.5, -0.5))
Z1 = Claim(id="Z1", experiment="t", english="-", turkish="-", metric="m", test="t",
           expected={"ci/resampled-data": REFUTED},
           evaluate=lambda runs: directional([0.0, 0.1, -0.1, 0.05], [1.0, 1.1, 0.9, 1.05],
                                             alternative="greater", paired=True))

@pytest.mark.parametrize("claim", claim_params(Z1))
def test_claim(claim, judge):
    judge(claim)
"""


def test_expectations_are_per_variant(pytester, tmp_path, mnist_path):
    """The same refutation fails under the article (expected supported) and is the declared
    expected failure under resampled-data; the table shows a block per variant."""
    pytester.makeconftest('pytest_plugins = ["fixtures.plugin"]')
    pytester.makepyfile(test_planted=PLANTED)
    result = pytester.runpytest(f"--store={tmp_path / 's.sqlite'}", f"--report-dir={tmp_path / 'out'}",
                                "--seeds=4", "--variant=article,resampled-data")
    result.assert_outcomes(failed=1, xfailed=1)
    result.stdout.fnmatch_lines(["-- variant article", "Z1 *refuted*supported*NO*",
                                 "-- variant resampled-data", "Z1 *refuted*refuted*yes*"])
    assert (tmp_path / "out" / "variants" / "resampled-data" / "index.html").is_file()
