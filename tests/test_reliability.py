"""Reliability of `pytest claims/` as a user runs it: bad input, kills, Ctrl-C, parallel workers.

Each test runs pytest in a child process on the repository's own claims at the smoke scale,
with its own run store and report folder.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def pytest_args(tmp_path, *args):
    return [sys.executable, "-m", "pytest", "claims/", "-p", "no:cacheprovider", "--scale", "smoke",
            "--store", str(tmp_path / "runs.sqlite"), "--report-dir", str(tmp_path / "out"), *args]


def child_env(**extra):
    return {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **extra}


def run_claims(tmp_path, *args, env=None, timeout=600):
    return subprocess.run(pytest_args(tmp_path, *args), cwd=ROOT, capture_output=True, text=True,
                          env=env or child_env(), timeout=timeout)


def stored_keys(tmp_path) -> int:
    path = tmp_path / "runs.sqlite"
    if not path.exists():
        return 0
    with sqlite3.connect(path) as db:
        try:
            return db.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
        except sqlite3.OperationalError:  # the table is not created yet
            return 0


@pytest.mark.parametrize(
    "make_bad, fragment",
    [
        (lambda tmp: tmp / "missing.npz", "no such file"),
        (lambda tmp: (tmp / "bad.npz").write_text("not an archive") and tmp / "bad.npz", "not a readable npz"),
    ],
    ids=["missing-file", "not-npz"],
)
def test_bad_dataset_is_a_one_line_usage_error(tmp_path, make_bad, fragment):
    result = run_claims(tmp_path, "-k", "A1", env=child_env(BNCLAIMS_MNIST=str(make_bad(tmp_path))))
    assert result.returncode == pytest.ExitCode.USAGE_ERROR, result.stdout[-2000:]
    assert fragment in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


LIBC = ctypes.CDLL(None, use_errno=True)
PR_CAPBSET_DROP, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 24, 1, 2  # <linux/prctl.h>, <linux/capability.h>


def bound_by_permissions() -> None:
    """Child ``preexec_fn``: as root (CI), drop the capabilities that let root ignore file
    permissions from the child's bounding set, so exec leaves them out and a read-only folder
    binds it as it binds any user. Other users are bound already."""
    if os.geteuid() == 0:
        for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
            if LIBC.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
                raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def new_store_in_read_only_folder(locked: Path) -> Path:
    return locked / "sub" / "runs.sqlite"


def existing_store_in_read_only_folder(locked: Path) -> Path:
    from fixtures.execution.store import RunStore

    RunStore(locked / "runs.sqlite").close()
    (locked / "runs.sqlite").chmod(0o444)
    return locked / "runs.sqlite"


@pytest.mark.parametrize("make_store, folder_mode", [
    (new_store_in_read_only_folder, 0o555),
    (existing_store_in_read_only_folder, 0o555),
    (existing_store_in_read_only_folder, 0o755),  # a read-only file in a writable folder
], ids=["new-store", "existing-store", "read-only-file"])
def test_read_only_store_is_a_one_line_usage_error(tmp_path, mnist_path, make_store, folder_mode):
    locked = tmp_path / "locked"
    locked.mkdir()
    store = make_store(locked)
    locked.chmod(folder_mode)
    try:
        result = subprocess.run(pytest_args(tmp_path, "-k", "A1", "--store", str(store)), cwd=ROOT,
                                capture_output=True, text=True, env=child_env(), timeout=300,
                                preexec_fn=bound_by_permissions)
    finally:
        locked.chmod(0o755)
    assert result.returncode == pytest.ExitCode.USAGE_ERROR, result.stdout[-2000:] + result.stderr[-2000:]
    assert f"bn-claims: run store {store}: cannot open" in result.stdout  # at start-up, not after training
    assert "Traceback" not in result.stdout + result.stderr


def fill_up_at(size: int):
    """Child ``preexec_fn``: any file it writes past ``size`` bytes fails, as on a full disk."""
    return lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))


def test_full_store_is_a_one_line_usage_error(tmp_path, mnist_path):
    # Python ignores SIGXFSZ, so a write past the limit fails with EFBIG, as a full disk fails.
    result = subprocess.run(pytest_args(tmp_path, "-k", "A1"), cwd=ROOT, capture_output=True, text=True,
                            env=child_env(PYTHONDONTWRITEBYTECODE="1"), timeout=300,
                            preexec_fn=fill_up_at(8192))
    assert result.returncode == pytest.ExitCode.USAGE_ERROR, result.stdout[-2000:]
    assert f"run store {tmp_path / 'runs.sqlite'}: cannot" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def interrupt_after_first_runs(tmp_path, sig) -> tuple[subprocess.CompletedProcess, list[int]]:
    """Start `pytest claims/` with two training workers, deliver ``sig`` once two runs are
    stored; the result, and the session's other processes (its workers) alive at that moment."""
    # A shell running us in the background may leave SIGINT ignored, and the child would inherit
    # that; a user's Ctrl-C meets the default disposition, so the child gets it back.
    child = subprocess.Popen(pytest_args(tmp_path, "-k", "A1 or A2 or A3", "--workers", "2"), cwd=ROOT,
                             env=child_env(BNCLAIMS_DRILL=str(tmp_path)),
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 300
    while stored_keys(tmp_path) < 2 and time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.2)
    workers = [pid for pid in drill_processes(str(tmp_path)) if pid != child.pid]
    child.send_signal(sig)
    out, _ = child.communicate(timeout=120)
    return subprocess.CompletedProcess(child.args, child.returncode, out, ""), workers


def drill_processes(marker: str) -> list[int]:
    """Processes running with ``BNCLAIMS_DRILL=marker`` in their environment (Linux /proc; a
    zombie's environment reads empty, so an exited process waiting to be reaped is not one)."""
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if f"BNCLAIMS_DRILL={marker}".encode() in environ.read_bytes().split(b"\0"):
                found.append(int(environ.parent.name))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return found


def processes_left(marker: str, deadline_s: float = 60.0) -> list[int]:
    """The drill's processes still running once they have all exited or ``deadline_s`` has
    passed, whichever comes first; any left are killed then, so none outlives the test."""
    deadline = time.monotonic() + deadline_s
    while (left := drill_processes(marker)) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    return left


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["SIGKILL", "Ctrl-C"])
def test_interrupted_session_keeps_finished_runs_and_resumes(tmp_path, mnist_path, sig):
    stopped, workers = interrupt_after_first_runs(tmp_path, sig)
    if sig == signal.SIGINT:
        assert stopped.returncode == pytest.ExitCode.INTERRUPTED, stopped.stdout[-2000:]
        assert "Traceback" not in stopped.stdout
    assert workers, "no training worker was running when the session was stopped"  # else the check tests nothing
    # No training worker outlives its session: a worker of a killed one notices within a second
    # or so; the deadline holds on a loaded machine, and the check ends as soon as they are gone.
    began = time.monotonic()
    assert not processes_left(str(tmp_path)), f"processes {workers} outlived the session"
    print(f"{sig.name}: {len(workers)} of its processes running at the stop, all gone {time.monotonic() - began:.1f} s later")
    kept = stored_keys(tmp_path)
    assert 2 <= kept < 8  # A1..A3 need 4 configurations x 2 seeds
    with sqlite3.connect(tmp_path / "runs.sqlite") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    resumed = run_claims(tmp_path, "-k", "A1 or A2 or A3")
    print(f"{sig.name}: {kept} of 8 runs kept; the next session trained {resumed.stdout.count(' trained')}")
    assert resumed.stdout.count(" trained") == 8 - kept  # only what was missing
    assert stored_keys(tmp_path) == 8


@pytest.mark.slow
def test_two_workers_give_the_serial_verdicts(tmp_path, mnist_path):
    serial = run_claims(tmp_path, "-k", "not D6", "--workers", "1")
    serial_out = json.loads((tmp_path / "out" / "evidence.json").read_text())
    parallel_dir = tmp_path / "parallel"
    parallel_dir.mkdir()
    parallel = run_claims(parallel_dir, "-k", "not D6", "-n", "2")
    assert parallel.returncode == serial.returncode, parallel.stdout[-3000:] + parallel.stderr[-3000:]
    parallel_out = json.loads((parallel_dir / "out" / "evidence.json").read_text())

    def verdicts(evidence):
        return {o["claim"]["id"]: (o["verdict"], o["summary"]["pvalue"]) for o in evidence["outcomes"]}

    assert verdicts(parallel_out) == verdicts(serial_out)
    assert len(verdicts(serial_out)) == 15  # every claim but D6 (D7u included)


def test_two_processes_storing_the_same_run_store_it_once(tmp_path, mnist_path):
    script = (
        "import sys; from fixtures.execution.runs import Runs; from fixtures.execution.store import RunStore; "
        "from fixtures.training.scales import SCALES; from fixtures.training.models import ModelConfig; "
        "r = Runs(store=RunStore(sys.argv[1]), scale=SCALES['smoke']); "
        "print(r.get(ModelConfig(), 0).train_loss)"
    )
    env = child_env(PYTHONPATH=str(ROOT))
    children = [subprocess.Popen([sys.executable, "-c", script, str(tmp_path / "runs.sqlite")], env=env,
                                 stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [child.communicate(timeout=300)[0].strip().splitlines()[-1] for child in children]
    assert all(child.returncode == 0 for child in children)
    assert outputs[0] == outputs[1]
    assert stored_keys(tmp_path) == 1
