"""Shared helpers for the suite's own tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fixtures.training.data import ENV_VAR
from fixtures.training.scales import SCALES
from fixtures.execution.store import RunStore
from tests.prerequisites import missing


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The variants' smoke session (15-20 minutes), when selected (`-m variants` or `-m "slow or
    variants"`), first: under `-n 2 --dist loadfile --no-loadscope-reorder` one worker then runs
    it while the other takes the other tests, instead of it starting late and running alone at
    the end (measured 2026-11-30: 2,493 s with it last; xdist's default order, most tests per
    file first, started it 12 minutes in)."""
    items.sort(key=lambda item: item.get_closest_marker("variants") is None)


@pytest.fixture(scope="session", autouse=True)
def _inner_sessions_are_not_xdist_workers():
    """Under `pytest tests/ -n 2` every test runs in an xdist worker, and the sessions a test
    starts (pytester's, a child `pytest claims/`) would inherit its PYTEST_XDIST_* variables:
    pytest-benchmark then takes them for workers and disables itself, so no --benchmark-json
    is written and, on gw0, its warning fails the child under `filterwarnings = error`."""
    with pytest.MonkeyPatch.context() as patch:
        for name in [name for name in os.environ if name.startswith("PYTEST_XDIST_")]:
            patch.delenv(name)
        yield


@pytest.fixture(autouse=True)
def _backend_outlives_pytester(request):
    """Load the backend before ``pytester`` snapshots ``sys.modules``.

    The plugin loads Keras only once a session trains, and pytester drops every module an
    in-process run imported when its test ends; TensorFlow imported a second time in one process
    aborts it. Autouse fixtures are set up first, so this runs before pytester's snapshot.
    """
    if "pytester" in request.fixturenames:
        import fixtures.training.trainer  # noqa: F401 (Keras and its backend, kept for the session)


@pytest.fixture(scope="session")
def mnist_path() -> Path:
    """The real MNIST npz; these tests check behaviour on the real data, so they need it."""
    value = os.environ.get(ENV_VAR)
    if not value:
        missing(f"{ENV_VAR} is not set: no offline MNIST to test against")
    return Path(value)


@pytest.fixture
def smoke_runs(tmp_path, mnist_path, monkeypatch):
    """``smoke_runs(name="runs", **kwargs)``: a ``Runs`` at the smoke scale on tmp_path/<name>.sqlite."""
    monkeypatch.setenv(ENV_VAR, str(mnist_path))

    from fixtures.execution.runs import Runs  # Keras loads after the plugin chose its backend

    def make(name: str = "runs", **kwargs) -> Runs:
        return Runs(store=RunStore(tmp_path / f"{name}.sqlite"), scale=SCALES["smoke"], **kwargs)

    return make
