"""The same (config, seed, scale) gives the same numbers in separate processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

RUNS = [(1, "sgd", 7), (2, "adam", 7), (1, "sgd", 8)]  # (bn_layers, optimizer, seed)
CURVES = ("train_loss", "train_accuracy", "test_loss", "test_accuracy")
CHILD = f"""
import json
from fixtures.training.models import ModelConfig
from fixtures.training.scales import SCALES
from fixtures.training.trainer import train_run
runs = [
    train_run(ModelConfig("sigmoid", bn_layers=k, optimizer=o), s, SCALES["smoke"]).to_dict()
    for k, o, s in {RUNS!r}
]
print(json.dumps(runs))
"""


def runs_in_a_new_process() -> list[dict]:
    env = {**os.environ, "PYTHONPATH": os.getcwd(), "TF_CPP_MIN_LOG_LEVEL": "3"}
    out = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, env=env, check=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def two_processes(mnist_path):
    return runs_in_a_new_process(), runs_in_a_new_process()


@pytest.mark.parametrize("index", range(len(RUNS)), ids=[f"bn{k}-{o}-seed{s}" for k, o, s in RUNS])
def test_two_processes_give_bit_identical_runs(two_processes, index):
    first, second = two_processes
    for name in CURVES:
        assert first[index][name] == second[index][name], name  # exact: op determinism is on


def test_different_seeds_give_different_runs(two_processes):
    first, _ = two_processes
    assert first[0]["train_loss"] != first[2]["train_loss"]
