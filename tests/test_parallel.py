"""Training in worker processes gives the runs this process would train, and stops cleanly."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace

import pytest

from fixtures.training.data import DatasetError
from fixtures.training.models import ModelConfig
from fixtures.execution.parallel import slowest_first, train_in_workers
from fixtures.execution.progress import Tally, duration, run_cost
from fixtures.training.results import RunResult
from fixtures.execution.runs import Runs, _progress_line

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
    lines = {"here": [], "pooled": []}
    here = one_thread_runs("here", progress=lines["here"].append)
    pooled = one_thread_runs("pooled", progress=lines["pooled"].append)
    train_in_workers(here, CONFIGS, workers=1)
    train_in_workers(pooled, CONFIGS, workers=2)
    assert here.trained == pooled.trained == 4
    assert json.dumps(numbers(pooled)) == json.dumps(numbers(here))  # bit for bit
    assert pooled.trained == 4 and pooled.reused == 0  # numbers() found them all in the session
    assert multiprocessing.active_children() == []
    for written in lines.values():  # k/N, elapsed and time left, in this process and from workers
        assert [line.split()[1] for line in written] == ["1/4", "2/4", "3/4", "4/4"]
        assert all(" trained | elapsed " in line for line in written)
        assert "left" in written[1] and written[-1].endswith(", done")
    assert here.tally is None and pooled.tally is None  # runs trained later have no count


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
    killed, stop = [], threading.Event()

    def kill_a_worker():  # once the pool has started both (polled: the pool has no start event)
        # Killing the first while the pool still spawns the second races CPython's pool itself
        # (the spawn fails with "bad value(s) in fds_to_keep", seen under load): the OOM killer
        # this stands for kills a running worker.
        while not stop.is_set():
            if len(workers := multiprocessing.active_children()) >= 2:
                os.kill(workers[0].pid, signal.SIGKILL)  # as the OOM killer does
                killed.append(workers[0].pid)
                return
            time.sleep(0.01)

    killer = threading.Thread(target=kill_a_worker, daemon=True)
    killer.start()
    try:
        with pytest.raises(BrokenProcessPool):
            train_in_workers(runs, CONFIGS, workers=2)
    finally:
        stop.set()  # a pool that never started must not leave the killer to a later test
        killer.join(10)
    assert len(killed) == 1 and len(runs.store) < 4  # one worker killed while runs were still to train
    assert multiprocessing.active_children() == []


def test_small_batches_start_first_and_duplicates_go():
    configs = [ModelConfig(batch_size=1024), ModelConfig(batch_size=4), ModelConfig(bn_layers=1),
               ModelConfig(batch_size=4)]
    assert [c.batch_size for c in slowest_first(configs)] == [4, 128, 1024]


def test_a_run_outside_a_planned_batch_has_no_count():
    result = RunResult(config={}, seed=0, budget={}, trainer="xla", train_loss=(0.5,), train_accuracy=(0.9,),
                       test_loss=(0.4,), test_accuracy=(0.91,), epoch_seconds=(1.25,))
    assert _progress_line(ModelConfig(), 0, result, 1.25) == (
        "[bn-claims] sigmoid-bn0-sgd-bs128 seed=0 epochs=1 train_loss=0.5000 test_acc=0.9100 1.2s trained")
    assert _progress_line(ModelConfig(), 0, result, 1.25, "3/8", "| elapsed 4s, about 9s left") == (
        "[bn-claims] 3/8 sigmoid-bn0-sgd-bs128 seed=0 epochs=1 train_loss=0.5000 test_acc=0.9100 1.2s trained "
        "| elapsed 4s, about 9s left")


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_time_left_comes_from_the_measured_cost_per_batch_size():
    small, large = ModelConfig(batch_size=4), ModelConfig(batch_size=128)
    clock = Clock()
    tally = Tally([small, small, large, large], epochs=2, workers=2, clock=clock)
    assert tally.status() == "| elapsed 0s"  # nothing measured yet
    clock.now += 10
    # 10 s for a batch-128 run (2.125 cost units): batch 4 (6 units), not measured yet, borrows
    # its rate; left: 2 x 28.2 + 10 s over 2 workers.
    assert tally.finish(large, 10.0) == ("1/4", "| elapsed 10s, about 33s left")
    assert tally.estimate(small) == pytest.approx(10 / 2.125 * 6)
    clock.now += 20
    # Batch 4 measured at 30 s: 30 + 10 s over 2 workers is 20 s, but the batch-4 run left
    # takes 30 s on its own.
    assert tally.finish(small, 30.0) == ("2/4", "| elapsed 30s, about 30s left")
    assert tally.finish(small, 32.0)[1] == "| elapsed 30s, about 10s left"
    clock.now += 300
    assert tally.finish(large, 12.0) == ("4/4", "| elapsed 5m30s, done")
    assert run_cost(ModelConfig(batch_size=4), 2) == 6 and run_cost(ModelConfig(batch_size=4, epochs=5), 2) == 15


def test_the_nearest_measured_batch_size_is_on_a_log_scale():
    configs = [ModelConfig(batch_size=b) for b in (4, 128, 1024)]  # 128 is nearer 4 on a linear scale
    tally = Tally(configs, epochs=1)
    tally.finish(configs[0], 3.0)  # 3 s for 3 units: 1 s per unit
    tally.finish(configs[2], 2.0)  # 2 s for 1.0078 units
    assert tally.estimate(configs[1]) == pytest.approx(2.0 / run_cost(configs[2]) * run_cost(configs[1]))


def test_durations_read_as_a_clock():
    assert [duration(s) for s in (0, 42.4, 252, 3599.6, 7500)] == ["0s", "42s", "4m12s", "1h00m", "2h05m"]


def test_short_runs_go_to_a_worker_by_compiled_loop_and_long_ones_by_run():
    """Short runs that share a compiled loop (a configuration's seeds, at every learning rate)
    share one job, so its worker compiles once; long runs stay one job each, so the workers keep
    even loads and each run is stored as it ends."""
    from fixtures.execution.parallel import jobs
    from fixtures.training.scales import resolve_scale

    slow, fast = ModelConfig(batch_size=4), ModelConfig(batch_size=1024)
    todo = [(slow, 0), (slow, 1), (fast, 1), (fast, 2)]
    assert jobs(todo, resolve_scale("smoke")) == [((slow, 0), (slow, 1)), ((fast, 1), (fast, 2))]
    assert jobs(todo, resolve_scale("ci")) == [((slow, 0),), ((slow, 1),), ((fast, 1),), ((fast, 2),)]
    one_epoch = ModelConfig(epochs=1)  # its own epochs count: 1,000 x 1 at smoke
    assert jobs([(one_epoch, 0), (one_epoch, 1)], resolve_scale("smoke")) == [((one_epoch, 0), (one_epoch, 1))]
    rate = replace(fast, learning_rate=0.1)  # another rate, the same loop: the job it joins is fast's
    assert jobs([(fast, 1), (slow, 0), (rate, 1)], resolve_scale("smoke")) == [((fast, 1), (rate, 1)), ((slow, 0),)]


def test_vscan_trains_a_seed_in_its_fixed_block():
    """Under vscan a seed always trains beside the same seeds (its numbers depend on them in the
    last digit), so a long run's job is its whole block, and a block is one job; other trainers,
    and vscan on resampled data (each seed its own data), train a seed alone."""
    from fixtures.execution.parallel import jobs
    from fixtures.training.scales import resolve_scale
    from fixtures.training.trainer import trained_with

    ci = resolve_scale("ci")
    assert [trained_with(seed, "vscan", ci) for seed in (0, 2, 4, 1001)] == [(0, 1, 2), (0, 1, 2), (3, 4, 5),
                                                                              (999, 1000, 1001)]
    assert trained_with(4, "xla", ci) == trained_with(4, "scan", ci) == (4,)
    assert trained_with(4, "vscan", resolve_scale("ci", resample=True)) == (4,)
    slow = ModelConfig(batch_size=4)
    todo = [(slow, 0), (slow, 1), (slow, 2), (slow, 3)]
    assert jobs(todo, ci, "vscan") == [((slow, 0), (slow, 1), (slow, 2)), ((slow, 3),)]
    assert jobs(todo, ci, "scan") == [((slow, 0),), ((slow, 1),), ((slow, 2),), ((slow, 3),)]
