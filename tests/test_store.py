"""The run store: atomic entries, reuse, checksums, versioned keys and ``--fresh``."""

from __future__ import annotations

import json
import os
import select
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
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
    import os, signal, sys
    from fixtures.training.results import RunResult
    from fixtures.execution.store import RunStore
    path, marks = sys.argv[1], sys.argv[2]
    for line in sys.stdin:  # a writer forked from here (imported already) per line, to be killed
        first = int(line)
        pid = os.fork()
        if pid == 0:
            store = RunStore(path)
            log = os.open(marks, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            i = first
            while True:
                curve = tuple(float(e) for e in range(200))  # big enough for writes to take a while
                run = RunResult({}, i, {}, "test", curve, curve, curve, curve, curve)
                os.write(log, f"put {i}\\n".encode())  # a kill after this mark and before the next
                store.put(f"k{i}", run, {"i": i})      # lands inside put
                os.write(log, f"done {i}\\n".encode())
                i += 1
                if i == first + 3:
                    os.write(1, f"writing {os.getpid()}\\n".encode())
        _, status = os.waitpid(pid, 0)
        print("killed" if os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL else status, flush=True)
    """
)


def test_sigkill_while_writing_leaves_only_whole_entries(tmp_path):
    # Writers are killed one after another on the same store (a session killed, then resumed)
    # until 30 kills have landed inside a put, as their marks show: a write that is not atomic
    # (two statements, say) leaves a broken entry after a fifth to a half of them.
    path, marks = tmp_path / "runs.sqlite", tmp_path / "marks"
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    kills = inside = stored = 0
    with subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(marks)], env=env, text=True,
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE) as forker:

        def answer() -> str:
            ready, _, _ = select.select([forker.stdout], [], [], 60)
            assert ready, "the writer did not answer within 60 s"
            return forker.stdout.readline().strip()

        while inside < 30 and kills < 100:
            kills += 1
            forker.stdin.write(f"{stored}\n")
            forker.stdin.flush()
            writing = answer()
            assert writing.startswith("writing "), writing
            time.sleep(kills % 10 / 1000)  # 0 to 9 ms on, so the kills fall all over a put
            os.kill(int(writing.split()[1]), signal.SIGKILL)  # while it writes: it never stops on its own
            assert answer() == "killed"
            last_word, last = marks.read_text().split("\n")[-2].split()
            store = RunStore(path)
            with sqlite3.connect(path) as db:
                assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
                keys = {row[0] for row in db.execute("SELECT key FROM runs")}
            for key in keys:
                assert store.get(key) is not None, f"kill {kills} (after '{last_word} {last}') left {key} broken"
            assert store.corrupt == []
            # Every put that returned is stored; the one killed is stored whole or not at all.
            done = int(last) + (last_word == "done")
            assert keys - {f"k{done}"} == {f"k{i}" for i in range(done)}
            store.close()
            stored = len(keys)
            inside += last_word == "put"
        forker.stdin.close()
    print(f"{kills} kills, {inside} inside a put; {stored} entries stored")
    assert inside == 30, f"only {inside} of {kills} kills landed inside a put"


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
import json, sqlite3, sys, time
from fixtures.execution.store import RunStore, StoreError
statements = []  # (when, SQL) of each statement the store runs, on the machine's one clock
connect = sqlite3.connect
def traced(*args, **kwargs):
    db = connect(*args, **kwargs)
    db.set_trace_callback(lambda sql: statements.append((time.monotonic(), sql.strip())))
    return db
sqlite3.connect = traced
print("ready", flush=True)
for line in sys.stdin:  # a new store to open, and the instant to open it at
    path, start = line.rsplit(maxsplit=1)
    while time.monotonic() < float(start):
        pass
    statements.clear()
    try:
        RunStore(path).close()
        outcome = "ok"
    except StoreError as exc:
        outcome = str(exc)
    statements.append((time.monotonic(), "returned"))
    print(json.dumps([outcome, statements]), flush=True)
"""


def wal_switches(statements: list) -> list[tuple[float, float]]:
    """When each attempt to switch the store to WAL ran: from its start to the next statement's."""
    return [(began, ended) for (began, sql), (ended, _) in zip(statements, statements[1:])
            if sql.startswith("PRAGMA journal_mode")]


def test_two_processes_opening_a_new_store_at_once_both_succeed(tmp_path):
    # Two processes switching a new store to WAL at the same moment: one is refused "database
    # is locked" at once, with no busy wait (about 1 in 5 such overlaps before opening retried).
    # Both children wait, imported, for an instant set here; a race counts only if their
    # switches overlapped in time (the store's statements are traced), and twenty must.
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    children = [subprocess.Popen([sys.executable, "-c", OPEN_AT], env=env, stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, text=True) for _ in range(2)]

    def answer(child) -> str:
        ready, _, _ = select.select([child.stdout], [], [], 60)
        assert ready, "a child did not answer within 60 s"
        return child.stdout.readline()

    races = overlapped = 0
    try:
        assert [answer(child).strip() for child in children] == ["ready", "ready"]
        while overlapped < 20 and races < 800:
            races += 1
            path, start = tmp_path / f"store{races}" / "runs.sqlite", time.monotonic() + 0.02
            for child in children:
                child.stdin.write(f"{path} {start}\n")
                child.stdin.flush()
            answers = [json.loads(answer(child)) for child in children]
            assert [outcome for outcome, _ in answers] == ["ok", "ok"], f"race {races}"
            ours, theirs = (wal_switches(statements) for _, statements in answers)
            assert ours and theirs, answers  # each switched (a store that never does tests nothing here)
            overlapped += any(a < d and c < b for a, b in ours for c, d in theirs)
    finally:
        for child in children:
            child.stdin.close()
            child.wait(timeout=60)
            child.stdout.close()
    print(f"{overlapped} of {races} races had the two switches to WAL overlap")
    assert overlapped == 20, f"only {overlapped} of {races} races had the two switches to WAL overlap"


def test_opening_a_new_store_retries_while_another_connection_writes_it(tmp_path, monkeypatch):
    # The race's loser, made certain: another connection holds the new store's write lock, as the
    # winner does while it switches, and the switch to WAL is refused at once, with no busy wait.
    path = tmp_path / "runs.sqlite"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    attempts, outcome = [], []
    connect = sqlite3.connect

    def traced(*args, **kwargs):
        db = connect(*args, **kwargs)
        db.set_trace_callback(lambda sql: attempts.append(sql) if "journal_mode" in sql else None)
        return db

    def open_store():
        try:
            RunStore(path).close()
            outcome.append("opened")
        except StoreError as exc:
            outcome.append(exc)

    monkeypatch.setattr(sqlite3, "connect", traced)
    opener = threading.Thread(target=open_store, daemon=True)
    opener.start()
    deadline = time.monotonic() + 60
    while len(attempts) < 2 and opener.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)  # until the first switch was refused and retried (or the opening gave up)
    holder.execute("ROLLBACK")
    holder.close()
    opener.join(60)
    assert outcome == ["opened"]
    assert len(attempts) >= 2  # refused while the lock was held, then opened
