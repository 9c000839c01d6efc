"""What to do when a test's prerequisite (the real data, Chromium) is missing.

On a developer's machine a missing prerequisite skips the test, and the ini's ``-ra`` lists
the skip with its reason at the end of every run. Under CI (the ``CI`` environment variable set,
as ``.ci/run`` runs) every prerequisite is provided, so a missing one means the set-up broke:
the test fails instead of skipping, so a green CI cannot hide an untested part.
"""

from __future__ import annotations

import os

import pytest


def under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def missing(reason: str) -> None:
    """Skip the test for want of ``reason``; under CI, fail it (never returns)."""
    if under_ci():
        pytest.fail(f"{reason} (CI is set: .ci/run provides this, so its absence is a failure)", pytrace=False)
    pytest.skip(reason)


def skip_unless_backend(backend: str, what: str) -> None:
    """Skip the calling module unless Keras runs on ``backend`` here: ``what`` (a trainer, its
    benchmark) runs in that backend's tox environment, which installs its package and passes
    ``--backend``. Not a failure under CI: the default environment has TensorFlow only."""
    from fixtures.training.backend import BACKEND_MODULES, active_backend  # imports no Keras

    pytest.importorskip(BACKEND_MODULES[backend][0], reason=f"{what}: only in the {backend} environment (tox -e {backend})")
    if active_backend() != backend:
        pytest.skip(f"{what}: only on Keras's {backend} backend (--backend {backend})", allow_module_level=True)
