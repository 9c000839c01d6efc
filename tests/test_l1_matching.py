"""L1 at matched progress: epochs matched on the test loss, a loose match refused, init shown.

The first L1 matched on Keras's epoch training loss, a running mean over the epoch, and so
compared a BN net at 0.93 test accuracy with one at 0.69 (issue 21). These cases pin the new rule
on curves whose answer is known by eye.
"""

from __future__ import annotations

import numpy as np
import pytest

import claims.test_layer_outputs as l1
from fixtures.training.models import ModelConfig
from fixtures.training.results import RunResult


def run(seed, test_loss, saturation, accuracy=None, config=l1.WITH_BN):
    epochs = len(test_loss)
    return RunResult(config=config.to_dict(), seed=seed, budget={}, trainer="t",
                     train_loss=(2.0,) * epochs, train_accuracy=(0.5,) * epochs,
                     test_loss=tuple(test_loss), test_accuracy=tuple(accuracy or (0.9,) * epochs),
                     epoch_seconds=(1.0,) * epochs,
                     extras={"saturation_by_epoch": [[0.0, s, s, s] for s in saturation]})


class FakeRuns:
    scale = None

    def __init__(self, with_bn, without):
        self.by_config = {l1.WITH_BN: with_bn, l1.WITHOUT: without}

    def seeds(self, config):
        return self.by_config[config]


FAST = (0.90, 0.43, 0.33, 0.29)  # a BN net's test loss: its first epoch is where the other ends
SLOW = (2.30, 2.28, 1.30, 0.88)


def test_epochs_are_matched_where_the_test_losses_are_closest():
    assert l1.matched_epochs(run(0, FAST, [0] * 4), run(0, SLOW, [0] * 4)) == (1, 4, pytest.approx(0.90 / 0.88))
    # The running-mean rule ("first epoch at or below the higher final loss") would take epoch 2.
    assert l1.matched_epochs(run(0, SLOW, [0] * 4), run(0, SLOW, [0] * 4))[:2] == (1, 1)


@pytest.fixture
def no_initialisation(monkeypatch):
    monkeypatch.setattr(l1, "_at_initialisation", lambda runs: "saturation at initialisation: (not built here)")


def test_l1_compares_saturation_at_the_matched_epochs(no_initialisation):
    with_bn = [run(s, FAST, [0.010 + 0.001 * s, 0.07, 0.08, 0.09], (0.80, 0.89, 0.91, 0.92)) for s in range(4)]
    without = [run(s, SLOW, [0.0, 0.0, 0.001, 0.004 + 0.0005 * s], (0.11, 0.2, 0.55, 0.71), l1.WITHOUT)
               for s in range(4)]
    result = l1._l1(FakeRuns(with_bn, without))
    name, part = result.parts[0]
    assert name == "saturation at matched progress"
    assert part.difference == pytest.approx(np.mean([0.010 + 0.001 * s - 0.004 - 0.0005 * s for s in range(4)]))
    assert part.verdict.value == "refuted"  # BN saturates more there, in every seed
    assert "test accuracy there BN 0.800, no BN 0.710" in result.message
    assert "matched epochs BN [1, 1, 1, 1], no BN [4, 4, 4, 4]" in result.message


def test_a_seed_without_a_close_match_makes_l1_untestable(no_initialisation):
    far = (0.50, 0.43, 0.33, 0.29)  # nowhere within a factor 1.1 of SLOW
    with_bn = [run(s, far if s == 2 else FAST, [0.02, 0.07, 0.08, 0.09]) for s in range(4)]
    without = [run(s, SLOW, [0.0, 0.0, 0.001, 0.004], config=l1.WITHOUT) for s in range(4)]
    result = l1._l1(FakeRuns(with_bn, without))
    assert "seed 2: 1.76" in result.untestable and "factor 1.1" in result.untestable
    from fixtures.claims.decisions import Evaluated, decide

    decided = decide([Evaluated(l1.L1, result, "untestable at this scale: " + result.untestable, (), ())], "holm")
    assert decided["L1"].verdict == "untestable"


def test_saturation_at_initialisation_is_that_of_the_network_training_starts_from():
    from fixtures.training.probes import SATURATION_IMAGES, saturation_by_layer
    from fixtures.training.scales import resolve_scale
    from fixtures.training.trainer import initial_saturation, initial_weights, scaled_data
    from fixtures.training.models import build_model

    pytest.importorskip("keras")
    scale = resolve_scale("smoke")
    shares = initial_saturation(ModelConfig("sigmoid", 1), 3, scale)
    model = build_model(scale.variant.apply(ModelConfig("sigmoid", 1)))
    model.set_weights(initial_weights(ModelConfig("sigmoid", 1), 3))
    data = scaled_data(scale.train_size, scale.test_size, scale.variant.dataset)
    assert shares == saturation_by_layer(model, data.x_test[:SATURATION_IMAGES], "sigmoid")
    assert len(shares) == 4 and all(0.0 <= s < 0.05 for s in shares)  # untrained sigmoids sit mid-range
