"""L1 at matched progress: checkpoints matched on the test loss at the end of the arm behind, a
loose match refused, init shown.

The first L1 matched on Keras's epoch training loss, a running mean over the epoch, and so
compared a BN net at 0.93 test accuracy with one at 0.69 (issue 21); the second matched whole
epochs, too coarse on MNIST, where the BN net passes the other's final loss inside its first
epoch. These cases pin the checkpoint rule on curves whose answer is known by eye.
"""

from __future__ import annotations

import numpy as np
import pytest

import claims.test_layer_outputs as l1
from fixtures.training.models import ModelConfig
from fixtures.training.results import RunResult


def run(seed, test_loss, saturation, accuracy=None, config=l1.WITH_BN_READ):
    """A checkpointed run with one checkpoint per entry, 10 steps apart."""
    points = len(test_loss)
    marks = {"step": [10 * (i + 1) for i in range(points)], "test_loss": list(test_loss),
             "test_accuracy": list(accuracy or (0.9,) * points), "saturation": [[0.0, s, s, s] for s in saturation]}
    return RunResult(config=config.to_dict(), seed=seed, budget={}, trainer="t",
                     train_loss=(2.0,), train_accuracy=(0.5,), test_loss=(test_loss[-1],),
                     test_accuracy=(marks["test_accuracy"][-1],), epoch_seconds=(1.0,),
                     extras={"saturation_by_epoch": [[0.0, s, s, s] for s in saturation[-1:]], "checkpoints": marks})


class FakeRuns:
    scale = None

    def __init__(self, with_bn, without):
        self.by_config = {l1.WITH_BN_READ: with_bn, l1.WITHOUT_READ: without}

    def seeds(self, config):
        return self.by_config[config]


FAST = (2.25, 1.20, 0.95, 0.90, 0.50, 0.30)  # a BN net: it passes the other's end early on
SLOW = (2.30, 2.30, 2.29, 1.50, 1.00, 0.88)  # a net without BN: a plateau at 2.3, then learning


def test_the_arm_behind_is_matched_at_its_end_with_the_closest_checkpoint():
    assert l1.matched_checkpoints(run(0, FAST, [0] * 6), run(0, SLOW, [0] * 6)) == (3, 5, pytest.approx(0.90 / 0.88))
    assert l1.matched_checkpoints(run(0, SLOW, [0] * 6), run(0, FAST, [0] * 6)) == (5, 3, pytest.approx(0.90 / 0.88))
    # On the plateau both arms sit near 2.3 (2.25 against 2.30 is closer than 0.90 against 0.88
    # as a difference, and near it as a ratio): matching anywhere could compare untrained nets.
    assert l1.matched_checkpoints(run(0, FAST, [0] * 6), run(0, SLOW, [0] * 6))[1] == len(SLOW) - 1


@pytest.fixture
def no_initialisation(monkeypatch):
    monkeypatch.setattr(l1, "_at_initialisation", lambda runs: "saturation at initialisation: (not built here)")


def test_l1_compares_saturation_at_the_matched_checkpoints(no_initialisation):
    with_bn = [run(s, FAST, [0.0, 0.004, 0.008, 0.010 + 0.001 * s, 0.07, 0.09], (0.3, 0.7, 0.8, 0.81, 0.9, 0.92))
               for s in range(4)]
    without = [run(s, SLOW, [0.0, 0.0, 0.0, 0.001, 0.002, 0.004 + 0.0005 * s], (0.1, 0.1, 0.1, 0.5, 0.6, 0.71),
                   l1.WITHOUT_READ) for s in range(4)]
    result = l1._l1(FakeRuns(with_bn, without))
    name, part = result.parts[0]
    assert name == "saturation at matched progress"
    assert part.difference == pytest.approx(np.mean([0.010 + 0.001 * s - 0.004 - 0.0005 * s for s in range(4)]))
    assert part.verdict.value == "refuted"  # BN saturates more there, in every seed
    assert "test accuracy there BN 0.810, no BN 0.710" in result.message
    assert "matched at steps BN [40, 40, 40, 40], no BN [60, 60, 60, 60]" in result.message


def test_a_seed_without_a_close_match_makes_l1_untestable(no_initialisation):
    far = (2.25, 1.40, 0.50, 0.43, 0.33, 0.29)  # nowhere within a factor 1.1 of SLOW's end
    with_bn = [run(s, far if s == 2 else FAST, [0.02, 0.03, 0.05, 0.07, 0.08, 0.09]) for s in range(4)]
    without = [run(s, SLOW, [0.0, 0.0, 0.0, 0.001, 0.002, 0.004], config=l1.WITHOUT_READ) for s in range(4)]
    result = l1._l1(FakeRuns(with_bn, without))
    assert "seed 2: 1.59" in result.untestable and "factor 1.1" in result.untestable
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
