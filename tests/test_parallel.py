"""Training in worker processes gives the runs this process would train, and stops cleanly."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures.process import BrokenProcessPool

import pytest

from fixtures.data import DatasetError
from fixtures.models import ModelConfig
from fixtures.parallel import slowest_first, train_in_workers
from fixtures.runs import Runs

CONFIGS = [ModelConfig("sigmoid", 1), ModelConfig("relu", 0, "adam")]


@pytest.fixture
def one_thread_runs(smoke_runs):
    # The suite's plugin runs this process with one TensorFlow thread, the default.
    return lambda name, **kwargs: smoke_runs(name, threads=1, **kwargs)


def numbers(runs: Runs) -> list[dict]:
    """Every stored run of CONFIGS without its wall-clock seconds, the one field that may differ."""
    rows = [runs.get(config, seed).to_dict() for config in CONFIGS for seed in runs.scale.seeds]
    return [{key: value for key, value in row.items() if key != "epoch_seconds"} for row in rows]


def test_workers_train_exactly_what_this_process_trains(one_thread_runs):
    here, pooled = one_thread_runs("here"), one_thread_runs("pooled")
    train_in_workers(here, CONFIGS, workers=1)
    train_in_workers(pooled, CONFIGS, workers=2)
    assert here.trained == pooled.trained == 4
    assert json.dumps(numbers(pooled)) == json.dumps(numbers(here))  # bit for bit
    assert pooled.trained == 4 and pooled.reused == 0  # numbers() found them all in the session
    assert multiprocessing.active_children() == []


def test_only_missing_runs_are_trained_and_fresh_retrains_once(one_thread_runs):
    first = one_thread_runs("store")
    first.get(CONFIGS[0], 0)
    assert first.missing(CONFIGS) == [(CONFIGS[0], 1), (CONFIGS[1], 0), (CONFIGS[1], 1)]
    train_in_workers(first, CONFIGS, workers=2)
    assert first.missing(CONFIGS) == []
    assert one_thread_runs("store").missing(CONFIGS) == []
    fresh = one_thread_runs("store", fresh=True)
    assert len(fresh.missing(CONFIGS)) == 4
    train_in_workers(fresh, CONFIGS, workers=2)
    assert fresh.missing(CONFIGS) == [] and fresh.trained == 4


def test_a_failing_worker_stops_the_pool_with_its_error(one_thread_runs, tmp_path, monkeypatch):
    runs = one_thread_runs("bad")
    monkeypatch.setenv("BNCLAIMS_MNIST", str(tmp_path / "missing.npz"))  # what the workers load
    with pytest.raises(DatasetError, match="no such file"):
        train_in_workers(runs, CONFIGS, workers=2)
    assert multiprocessing.active_children() == []
    assert len(runs.store) == 0


def test_a_killed_worker_breaks_the_pool_and_leaves_no_child(one_thread_runs):
    runs = one_thread_runs("killed")

    def kill_a_worker():
        while not multiprocessing.active_children():
            time.sleep(0.05)
        os.kill(multiprocessing.active_children()[0].pid, signal.SIGKILL)  # as the OOM killer does

    threading.Thread(target=kill_a_worker, daemon=True).start()
    with pytest.raises(BrokenProcessPool):
        train_in_workers(runs, CONFIGS, workers=2)
    assert multiprocessing.active_children() == []


def test_small_batches_start_first_and_duplicates_go():
    configs = [ModelConfig(batch_size=1024), ModelConfig(batch_size=4), ModelConfig(bn_layers=1),
               ModelConfig(batch_size=4)]
    assert [c.batch_size for c in slowest_first(configs)] == [4, 128, 1024]
