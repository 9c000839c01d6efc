"""The run store: atomic entries, reuse, checksums, versioned keys and ``--fresh``."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest

from fixtures.execution import runs as runs_module
from fixtures.training.models import ModelConfig
from fixtures.training.results import RunResult
from fixtures.training.scales import SCALES
from fixtures.execution.store import RunStore, StoreError, run_key


def fake_run(seed=0, loss=1.0) -> RunResult:
    return RunResult(
        config=ModelConfig().to_dict(),
        seed=seed,
        budget=SCALES["smoke"].run_budget(),
        trainer="test",
        train_loss=(loss, loss / 2),
        train_accuracy=(0.5, 0.6),
        test_loss=(loss, loss / 2),
        test_accuracy=(0.5, 0.6),
        epoch_seconds=(0.1, 0.1),
    )


def test_put_then_get_round_trips(tmp_path):
    store = RunStore(tmp_path / "runs.sqlite")
    store.put("k", fake_run(), {"why": "test"})
    assert store.get("k") == fake_run()
    assert store.meta("k") == {"why": "test"}
    assert store.get("absent") is None


def test_an_existing_entry_is_kept_unless_replaced(tmp_path):
    store = RunStore(tmp_path / "runs.sqlite")
    store.put("k", fake_run(loss=1.0), {})
    store.put("k", fake_run(loss=2.0), {})
    assert store.get("k").train_loss[0] == 1.0
    store.put("k", fake_run(loss=2.0), {}, replace=True)
    assert store.get("k").train_loss[0] == 2.0
    assert len(store) == 1


def test_a_tampered_entry_is_detected_dropped_and_reported(tmp_path):
    path = tmp_path / "runs.sqlite"
    store = RunStore(path)
    store.put("k", fake_run(), {})
    with sqlite3.connect(path) as db:
        payload = db.execute("SELECT payload FROM runs").fetchone()[0]
        db.execute("UPDATE runs SET payload = ?", (payload.replace("0.6", "0.9"),))
    assert store.get("k") is None
    assert store.corrupt == ["k"]
    assert len(store) == 0


def test_key_changes_with_anything_the_numbers_depend_on():
    base = {"config": {"a": 1}, "seed": 0, "versions": {"tensorflow": "2.21.0"}}
    assert run_key(base) == run_key(dict(reversed(list(base.items()))))
    assert run_key(base) != run_key({**base, "seed": 1})
    assert run_key(base) != run_key({**base, "versions": {"tensorflow": "2.22.0"}})


def test_unopenable_store_is_a_one_line_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(StoreError, match="cannot open") as info:
        RunStore(blocker / "runs.sqlite")
    assert "\n" not in str(info.value)


WRITER = textwrap.dedent(
    """
    import sys
    from fixtures.training.results import RunResult
    from fixtures.execution.store import RunStore
    store = RunStore(sys.argv[1])
    i = 0
    while True:
        curve = tuple(float(e) for e in range(200))  # big enough for writes to take a while
        run = RunResult({}, i, {}, "test", curve, curve, curve, curve, curve)
        store.put(f"k{i}", run, {"i": i})
        i += 1
        if i == 20:
            print("ready", flush=True)
    """
)


def test_sigkill_while_writing_leaves_only_whole_entries(tmp_path):
    path = tmp_path / "runs.sqlite"
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    with subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, env=env
    ) as child:
        assert child.stdout.readline().strip() == b"ready"
        time.sleep(0.3)
        child.send_signal(signal.SIGKILL)
        child.wait()
    store = RunStore(path)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        keys = [row[0] for row in db.execute("SELECT key FROM runs")]
    assert len(keys) >= 20
    for key in keys:
        assert store.get(key) is not None
    assert store.corrupt == []


def test_runs_are_trained_once_then_reused_and_fresh_retrains(smoke_runs):
    config = ModelConfig(bn_layers=1)
    first = smoke_runs()
    trained = first.get(config, 0)
    assert (first.trained, first.reused) == (1, 0)
    again = smoke_runs()
    assert again.get(config, 0) == trained
    assert (again.trained, again.reused) == (0, 1)
    fresh = smoke_runs(fresh=True)
    retrained = fresh.get(config, 0)
    assert (fresh.trained, fresh.reused) == (1, 0)
    assert retrained.train_loss == trained.train_loss  # deterministic, so the same numbers
    fresh.get(config, 0)
    assert fresh.trained == 1  # once per session, not once per claim


def test_runs_from_other_library_versions_are_not_reused(smoke_runs, monkeypatch):
    config = ModelConfig()
    smoke_runs().get(config, 0)
    real = runs_module.library_versions()
    monkeypatch.setattr(runs_module, "library_versions", lambda: {**real, "tensorflow": "0.0"})
    other = smoke_runs()
    other.get(config, 0)
    assert (other.trained, other.reused) == (1, 0)


def test_stored_identity_records_versions_and_dataset(smoke_runs):
    runs = smoke_runs()
    runs.get(ModelConfig(), 1)
    meta = runs.store.meta(run_key(runs.identity(ModelConfig(), 1)))
    assert meta["seed"] == 1
    assert set(meta["versions"]) >= {"tensorflow", "keras", "numpy"}
    assert len(meta["dataset_sha256"]) == 64
    json.dumps(meta)


def test_runs_under_a_thread_setting_are_kept_apart(smoke_runs):
    config = ModelConfig()
    default = smoke_runs().identity(config, 0)
    assert "threads" not in default  # TensorFlow's own choice keeps the keys stored so far
    assert run_key(smoke_runs(threads=1).identity(config, 0)) != run_key(default)


OPEN_AT = """
import sys, time
from fixtures.execution.store import RunStore
start = float(sys.argv[2])
while time.time() < start:  # both processes open the new store at the same instant
    pass
RunStore(sys.argv[1])
"""


def test_two_processes_opening_a_new_store_at_once_both_succeed(tmp_path):
    # Before opening retried "database is locked", about 4 in 10 such races failed.
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    for trial in range(10):
        path, start = tmp_path / f"store{trial}" / "runs.sqlite", time.time() + 0.5
        children = [subprocess.Popen([sys.executable, "-c", OPEN_AT, str(path), str(start)], env=env,
                                     stderr=subprocess.PIPE, text=True) for _ in range(2)]
        errors = [child.communicate(timeout=60)[1] for child in children]
        assert [child.returncode for child in children] == [0, 0], errors
