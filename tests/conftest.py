"""Shared helpers for the suite's own tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fixtures.data import ENV_VAR


@pytest.fixture(scope="session")
def mnist_path() -> Path:
    """The real MNIST npz; these tests check behaviour on the real data, so they need it."""
    value = os.environ.get(ENV_VAR)
    if not value:
        pytest.skip(f"{ENV_VAR} is not set: no offline MNIST to test against")
    return Path(value)
