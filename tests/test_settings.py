"""Options from the command line, env and ini resolve in that order; bad values are usage errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from fixtures import settings
from fixtures.training.scales import SCALES, resolve_scale

SHOW = """
def test_show(bn_settings):
    s = bn_settings
    print("SETTINGS", s.scale.label, s.scale.epochs, len(s.scale.seeds), s.trainer, s.fresh)
"""


@pytest.fixture
def project(pytester):
    pytester.makeconftest('pytest_plugins = ["fixtures.plugin"]')
    pytester.makepyfile(test_show=SHOW)
    return pytester


def settings_line(result) -> str:
    line = next(line for line in result.outlines if "SETTINGS" in line)
    return line[line.index("SETTINGS") :]


def test_default_is_the_ci_scale(project):
    result = project.runpytest("-s")
    ci = SCALES["ci"]
    assert settings_line(result) == f"SETTINGS ci {ci.epochs} {len(ci.seeds)} xla False"


def test_cli_beats_env_beats_ini(project, monkeypatch):
    project.makeini("[pytest]\nbnclaims_scale = article\nbnclaims_epochs = 3\n")
    assert settings_line(project.runpytest("-s")).startswith("SETTINGS article[epochs=3] 3")
    monkeypatch.setenv("BNCLAIMS_SCALE", "smoke")
    assert settings_line(project.runpytest("-s")).startswith("SETTINGS smoke[epochs=3] 3")
    line = settings_line(project.runpytest("-s", "--scale", "ci", "--seeds", "4", "--fresh"))
    assert line == "SETTINGS ci[seeds=4,epochs=3] 3 4 xla True"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--scale", "huge"], "unknown scale 'huge'"),
        (["--seeds", "1"], "seeds must be at least 2"),
        (["--seeds", "many"], "seeds must be a whole number"),
        (["--epochs", "-2"], "epochs must be at least 1"),
        (["--trainer", "jax"], "unknown trainer 'jax'"),
        (["--threads", "-1"], "threads must be at least 0"),
        (["--threads", "two"], "threads must be a whole number"),
        (["--workers", "0"], "workers must be at least 1"),
        (["--workers", "many"], "workers must be a whole number, got 'many' (or auto)"),
        (["--cluster", "notaurl"], "bad Dask scheduler address 'notaurl'; expected SCHEME://HOST:PORT"),
        (["--cluster", "tcp://host"], "bad Dask scheduler address 'tcp://host'"),
        (["--cluster", "tcp://host:99999"], "bad Dask scheduler address 'tcp://host:99999'"),
        (["--backend", "theano"], "unknown Keras backend 'theano'; choose one of tensorflow, jax, torch"),
        (["--backend", "torch", "--trainer", "xla"], "the xla trainer is tensorflow's; on the torch backend use loop or fit"),
        (["--backend", "tensorflow", "--trainer", "scan"], "the scan trainer is jax's; on the tensorflow backend use xla or fit"),
        (["--backend", "jax", "--cluster", "tcp://127.0.0.1:8786"], "--cluster trains on the TensorFlow backend only"),
    ],
)
def test_bad_command_line_values_are_usage_errors(project, args, message):
    result = project.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in result.stderr.str()


def test_bad_env_value_names_the_variable(project, monkeypatch):
    monkeypatch.setenv("BNCLAIMS_SEEDS", "0")
    result = project.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*bad environment variable BNCLAIMS_SEEDS: seeds must be at least 2*"])


def test_bad_ini_value_names_the_ini_key(project):
    project.makeini("[pytest]\nbnclaims_epochs = ten\n")
    result = project.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*bad ini value bnclaims_epochs: epochs must be a whole number*"])


def test_overrides_keep_the_scale_name_for_expectations():
    scale = resolve_scale("article", seeds=3)
    assert scale.name == "article" and scale.label == "article[seeds=3]" and scale.seeds == (0, 1, 2)
    assert resolve_scale("ci") is SCALES["ci"]


@pytest.mark.parametrize("field, value", [("epochs", 0), ("train_size", 0), ("seeds", (1,)), ("seeds", (1, 1))])
def test_invalid_scales_cannot_be_built(field, value):
    from dataclasses import replace

    with pytest.raises(ValueError):
        replace(SCALES["smoke"], **{field: value})


@pytest.mark.parametrize(
    "workers, threads, cores, memory_gb, expected",
    [
        ("auto", 1, 2, 24, 2),  # this machine: two single-threaded workers
        ("auto", 2, 8, 64, 4),  # threads per worker share the cores
        ("auto", 0, 8, 64, 1),  # TensorFlow's choice already takes every core
        ("auto", 1, 64, 24, 12),  # memory, not cores, limits a big machine
        ("auto", 1, 1, 24, 1),
        (3, 1, 2, 24, 3),  # a number is taken as given
    ],
)
def test_workers_auto_follows_cores_threads_and_memory(monkeypatch, workers, threads, cores, memory_gb, expected):
    monkeypatch.setattr(settings.os, "sched_getaffinity", lambda pid: set(range(cores)), raising=False)
    monkeypatch.setattr(settings, "_memory_bytes", lambda: memory_gb * 1024**3)
    assert settings.resolve_workers(workers, threads) == expected


def test_a_bad_keras_backend_variable_is_a_usage_error(project, monkeypatch):
    monkeypatch.setenv("KERAS_BACKEND", "theano")
    result = project.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*bad environment variable KERAS_BACKEND: unknown Keras backend 'theano'*"])


def test_a_backend_that_is_not_installed_is_one_line_naming_its_install(project, monkeypatch):
    from fixtures.training import backend

    monkeypatch.setattr(backend, "_importable", lambda module: False)
    monkeypatch.delitem(sys.modules, "keras", raising=False)  # as in a session that has not loaded it
    result = project.runpytest("--backend", "jax")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: bn-claims: the jax backend needs the jax package, which is not installed "
                                 "(tox -e jax, or pip install -r requirements-jax.txt)"])


def test_options_are_read_before_keras_or_tensorflow_loads():
    """Keras reads its backend once, at import: a test session that trains nothing (here the
    statistics tests) must never load either, and a usage error comes before both."""
    code = ("import sys, pytest; rc = pytest.main(['tests/stats/test_stats_results.py', '-q', '-p', 'no:cacheprovider']);"
            "print('LOADED', sorted(m for m in ('keras', 'tensorflow', 'jax', 'torch') if m in sys.modules)); sys.exit(rc)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600,
                          cwd=Path(__file__).parents[1])
    assert done.returncode == 0, done.stdout + done.stderr
    assert "LOADED []" in done.stdout
    usage = subprocess.run([sys.executable, "-c", "import sys, pytest; rc = pytest.main(['claims/', '--scale', 'huge']);"
                            "print('LOADED', sorted(m for m in ('keras', 'tensorflow') if m in sys.modules))"],
                           capture_output=True, text=True, timeout=600, cwd=Path(__file__).parents[1])
    assert "unknown scale 'huge'" in usage.stderr and "LOADED []" in usage.stdout


def test_jax_trains_seeds_together_by_default_only_where_it_finds_a_gpu(monkeypatch):
    from fixtures.training import backend

    monkeypatch.setattr(backend, "_jax_accelerated", lambda: True)
    assert (backend.default_trainer("jax"), backend.default_trainer("tensorflow")) == ("vscan", "xla")
    monkeypatch.setattr(backend, "_jax_accelerated", lambda: False)
    assert backend.default_trainer("jax") == "scan"
