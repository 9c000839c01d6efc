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
