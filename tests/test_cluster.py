"""Training on a Dask cluster (``--cluster``) gives the local pool's runs, bit for bit, and fails
in one line when the cluster cannot do it; a killed worker's run is rescheduled, a lost scheduler
stops the session with every finished run kept.

Every scheduler and worker here listens on 127.0.0.1 only (Dask's comms are unauthenticated).
The in-process tests use ``distributed.LocalCluster`` (worker processes, one thread each); the
drills start ``dask scheduler`` and ``dask worker`` as processes of their own, so that one can
be killed, and run ``pytest claims/`` at the smoke scale against them.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import tensorflow as tf

from fixtures.execution.cluster import check_worker, contract, train_on_cluster
from fixtures.training.data import DatasetError
from fixtures.training.models import ModelConfig
from fixtures.execution.parallel import ClusterError, train_in_workers
from fixtures.execution.runs import Runs

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = [ModelConfig("sigmoid", 1), ModelConfig("relu", 0, "adam", batch_size=64)]
DRILL_CONFIGS = [ModelConfig(activation, bn) for activation in ("sigmoid", "relu") for bn in (0, 1)]  # A1..A3
LOCAL = {"host": "127.0.0.1", "dashboard_address": "127.0.0.1:0", "processes": True, "threads_per_worker": 1}


def numbers(runs: Runs, configs: list[ModelConfig] = CONFIGS) -> str:
    """Every run of ``configs`` without its wall-clock seconds, the one field that may differ."""
    rows = [runs.get(config, seed).to_dict() for config in configs for seed in runs.scale.seeds]
    return json.dumps([{k: v for k, v in row.items() if k != "epoch_seconds"} for row in rows], sort_keys=True)


@pytest.fixture(scope="module")
def local_cluster(mnist_path):
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, env={"BNCLAIMS_MNIST": str(mnist_path)}, **LOCAL) as cluster:
        yield cluster.scheduler_address


def test_the_cluster_trains_exactly_what_the_local_pool_trains(smoke_runs, local_cluster):
    # The pool's runs equal this process's (tests/test_parallel.py); the reference is the pool's,
    # as this process now runs the cluster's scheduler too. A worker's event loop draws from
    # Python's global random now and then (more so when workers come and go); here a thread of
    # each worker does so all the time.
    from distributed import Client

    def draw_from_global_random():
        import random
        import threading
        import time

        def draw():
            while True:
                random.random()
                time.sleep(0.0005)

        threading.Thread(target=draw, daemon=True).start()

    with Client(local_cluster, set_as_default=False) as client:
        client.run(draw_from_global_random)
    lines: list[str] = []
    pooled, clustered = smoke_runs("pooled", threads=1), smoke_runs("clustered", threads=1, progress=lines.append)
    train_in_workers(pooled, CONFIGS, workers=2)
    train_in_workers(clustered, CONFIGS, workers=2, cluster=local_cluster)
    assert clustered.trained == pooled.trained == 4 and clustered.reused == 0
    assert numbers(clustered) == numbers(pooled)  # bit for bit
    assert lines[0] == f"[bn-claims] 4 runs to train on the Dask cluster at {local_cluster} (2 worker processes)"
    assert [line.split()[1] for line in lines[1:]] == ["1/4", "2/4", "3/4", "4/4"]
    assert lines[-1].endswith(", done") and all(" trained | elapsed " in line for line in lines[1:])


def test_stored_runs_need_no_scheduler(smoke_runs, local_cluster):
    runs = smoke_runs(threads=1)
    train_on_cluster(runs, CONFIGS[:1], local_cluster)
    again = smoke_runs(threads=1)
    train_on_cluster(again, CONFIGS[:1], "tcp://127.0.0.1:1", timeout=1)  # nothing missing: no connection
    assert again.trained == 0 and again.reused == 2


def test_an_unreachable_scheduler_is_one_line(smoke_runs):
    runs = smoke_runs(threads=1)
    with pytest.raises(ClusterError, match=r"^cannot reach the Dask scheduler at tcp://127.0.0.1:1: .*after 1 s$") as caught:
        train_on_cluster(runs, CONFIGS, "tcp://127.0.0.1:1", timeout=1)
    assert caught.value.exit_status == 4 and "\n" not in str(caught.value)
    assert len(runs.store) == 0


def test_a_worker_with_other_data_fails_naming_it(smoke_runs, tmp_path):
    from distributed import LocalCluster

    runs = smoke_runs(threads=1)
    with LocalCluster(n_workers=1, env={"BNCLAIMS_MNIST": str(tmp_path / "missing.npz")}, **LOCAL) as cluster:
        worker = next(iter(cluster.scheduler_info["workers"]))
        with pytest.raises(DatasetError, match=rf"^Dask worker {worker}: MNIST file .*missing.npz: no such file"):
            train_on_cluster(runs, CONFIGS, cluster.scheduler_address)
    assert len(runs.store) == 0


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda e: e.update(dataset_sha256="0" * 64), r"checks MNIST against .* not the same bn-claims checkout"),
        (lambda e: e["versions"].update(tensorflow="0.0"), r"has tensorflow \S+, this session 0.0: runs are stored by version"),
        (lambda e: e.update(trainer="xla-epoch-0"), r"trains xla as \S+, this session as xla-epoch-0"),
        (lambda e: e.update(threads=2), r"already runs TensorFlow with 1 threads, this session needs 2"),
    ],
    ids=["dataset", "versions", "trainer", "threads"],
)
def test_a_worker_unlike_the_session_is_refused(smoke_runs, change, message):
    # In this process, whose TensorFlow the suite's plugin set to one thread: started here, so
    # that the check cannot change it.
    tf.add(1, 1)
    expected = contract(smoke_runs(threads=1))
    check_worker("Dask worker W", 1, "xla", expected)  # as the session: accepted
    change(expected)
    with pytest.raises((ClusterError, DatasetError), match=f"^Dask worker W {message}"):
        check_worker("Dask worker W", 1, "xla", expected)


def test_a_worker_running_tasks_side_by_side_is_refused(smoke_runs):
    with pytest.raises(ClusterError, match="runs 2 tasks at once; .* --nthreads 1"):
        check_worker("Dask worker W", 2, "xla", contract(smoke_runs(threads=1)))


def test_an_unreachable_scheduler_stops_pytest_claims_in_one_line(tmp_path, mnist_path):
    result = run_claims(tmp_path, "-k", "A1", "--cluster", "tcp://127.0.0.1:1")
    assert result.returncode == pytest.ExitCode.USAGE_ERROR, result.stdout[-2000:]
    said = [line for line in result.stdout.splitlines() if "bn-claims: cannot reach" in line]
    assert len(said) == 1, result.stdout[-2000:]
    assert "bn-claims: cannot reach the Dask scheduler at tcp://127.0.0.1:1: Timed out" in said[0]
    assert "Traceback" not in result.stdout + result.stderr


# ---- drills with a scheduler and workers of their own ---------------------------------------------


def child_env(**extra) -> dict:
    return {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **extra}


def run_claims(tmp_path, *args, timeout=600, **popen) -> subprocess.CompletedProcess:
    return subprocess.run(claims_args(tmp_path, *args), cwd=ROOT, capture_output=True, text=True,
                          env=child_env(), timeout=timeout, **popen)


def claims_args(tmp_path, *args) -> list[str]:
    return [sys.executable, "-m", "pytest", "claims/", "-p", "no:cacheprovider", "--scale", "smoke",
            "--store", str(tmp_path / "runs.sqlite"), "--report-dir", str(tmp_path / "out"), *args]


def stored_keys(tmp_path) -> int:
    path = tmp_path / "runs.sqlite"
    if not path.exists():
        return 0
    with sqlite3.connect(path) as db:
        try:
            return db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
        except sqlite3.OperationalError:  # not created yet
            return 0


@dataclass
class DaskProcesses:
    address: str
    scheduler: subprocess.Popen
    workers: subprocess.Popen
    log: Path

    def client(self):
        from distributed import Client

        return Client(self.address, timeout=10, set_as_default=False)


@contextmanager
def dask_processes(tmp_path, workers: int = 2, cwd: Path = ROOT, **worker_env):
    """``dask scheduler`` and ``dask worker --nworkers N --nthreads 1`` on 127.0.0.1, as a user
    starts them in a checkout (README, "Running on a cluster")."""
    info, log = tmp_path / "scheduler.json", tmp_path / "dask.log"
    local = ["--host", "127.0.0.1", "--dashboard-address", "127.0.0.1:0"]
    env = child_env(PYTHONPATH=str(ROOT), **worker_env)
    with open(log, "ab") as out:
        # The scheduler needs Dask only: started outside the checkout, it cannot import the project.
        scheduler = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--port", "0",
                                      "--scheduler-file", str(info), *local], stdout=out, stderr=out,
                                     env=child_env(), cwd=tmp_path)
        worker_proc = None
        try:
            deadline = time.monotonic() + 60
            while not info.exists() and time.monotonic() < deadline:
                time.sleep(0.1)
            address = json.loads(info.read_text())["address"]
            if cwd != ROOT:
                env.pop("PYTHONPATH")
            worker_proc = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address,
                                            "--nworkers", str(workers), "--nthreads", "1", *local],
                                           stdout=out, stderr=out, env=env, cwd=cwd)
            cluster = DaskProcesses(address, scheduler, worker_proc, log)
            with cluster.client() as client:
                client.wait_for_workers(workers, timeout=60)
            yield cluster
        finally:
            for process in (worker_proc, scheduler):
                if process is not None and process.poll() is None:
                    process.terminate()
            for process in (worker_proc, scheduler):
                if process is not None:
                    try:
                        process.wait(timeout=30)
                    except subprocess.TimeoutExpired:
                        process.kill()
                        process.wait()


@pytest.mark.slow
def test_a_killed_worker_has_its_run_rescheduled(tmp_path, mnist_path, smoke_runs):
    with dask_processes(tmp_path) as cluster, cluster.client() as client:
        child = subprocess.Popen(claims_args(tmp_path, "-k", "A1 or A2 or A3", "--cluster", cluster.address),
                                 cwd=ROOT, env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        victim = None
        deadline = time.monotonic() + 300
        while victim is None and time.monotonic() < deadline and child.poll() is None:
            if stored_keys(tmp_path) >= 1:  # the workers have started TensorFlow: kill one mid-run
                busy = {address: keys for address, keys in client.processing().items() if keys}
                if busy:
                    address, keys = next(iter(busy.items()))
                    pid = client.run(os.getpid, workers=[address])[address]
                    os.kill(pid, signal.SIGKILL)
                    victim = (address, pid, keys)
            time.sleep(0.2)
        out, _ = child.communicate(timeout=600)
        events = [line for line in cluster.log.read_text().splitlines()  # before the workers stop
                  if any(word in line for word in ("killed by signal", "Remove worker", "Restarting worker"))]
    assert victim is not None, "no worker was busy to kill"
    address, pid, keys = victim
    print(f"killed worker {address} (pid {pid}) while it held {', '.join(keys)}")
    print("\n".join(line for line in out.splitlines() if line.startswith("[bn-claims]")))
    print("\n".join(events))
    # Smoke-scale verdicts may fail (nets that did not learn are untestable): not this test's concern.
    assert child.returncode in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED), out[-3000:]
    assert any(f"Worker process {pid} was killed by signal 9" in line for line in events)
    assert out.count(" trained") == 8  # A1..A3: 4 configurations x 2 seeds, each stored once
    assert stored_keys(tmp_path) == 8
    assert "8/8 " in out and "Traceback" not in out
    # The same numbers as the local pool's, the rescheduled runs too.
    drill, pooled = smoke_runs("runs", threads=1), smoke_runs("pooled", threads=1)
    train_in_workers(pooled, DRILL_CONFIGS, workers=2)
    assert drill.missing(DRILL_CONFIGS) == [] and drill.trained == 0
    assert numbers(drill, DRILL_CONFIGS) == numbers(pooled, DRILL_CONFIGS)


@pytest.mark.slow
def test_a_lost_scheduler_stops_the_session_and_keeps_finished_runs(tmp_path, mnist_path):
    with dask_processes(tmp_path) as cluster:
        child = subprocess.Popen(claims_args(tmp_path, "-k", "A1 or A2 or A3", "--cluster", cluster.address),
                                 cwd=ROOT, env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 300
        while stored_keys(tmp_path) < 2 and time.monotonic() < deadline and child.poll() is None:
            time.sleep(0.2)
        cluster.scheduler.kill()
        out, _ = child.communicate(timeout=300)
    print("\n".join(line for line in out.splitlines() if "bn-claims" in line))
    lost = [line for line in out.splitlines() if "bn-claims: lost the Dask scheduler" in line]
    assert child.returncode == pytest.ExitCode.INTERNAL_ERROR, out[-3000:]
    assert len(lost) == 1 and "Traceback" not in out
    kept = stored_keys(tmp_path)
    assert 2 <= kept < 8
    with sqlite3.connect(tmp_path / "runs.sqlite") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    resumed = run_claims(tmp_path, "-k", "A1 or A2 or A3")  # the local pool trains what is missing
    print(f"{kept} of 8 runs kept; the next session trained {resumed.stdout.count(' trained')}")
    assert resumed.stdout.count(" trained") == 8 - kept
    assert stored_keys(tmp_path) == 8


@pytest.mark.slow
def test_a_worker_without_the_project_fails_naming_it(tmp_path, mnist_path):
    with dask_processes(tmp_path, workers=1, cwd=tmp_path) as cluster, cluster.client() as client:
        worker = next(iter(client.nthreads()))
        result = run_claims(tmp_path, "-k", "A1", "--cluster", cluster.address)
    print("\n".join(line for line in result.stdout.splitlines() if "bn-claims: Dask worker" in line))
    assert result.returncode == pytest.ExitCode.USAGE_ERROR, result.stdout[-3000:]
    assert f"bn-claims: Dask worker {worker} cannot import bn-claims (ModuleNotFoundError: " in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    assert stored_keys(tmp_path) == 0
