"""Fixtures: the cached venv with real HardPy, and ways to run its python there."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from compat_venv import ensure_venv, this_checkout

from bridge.cloud.sim import SimConfig, SimServer


@pytest.fixture(scope="session")
def compat_venv_python() -> Path:
    """python of a venv holding hardpy==0.25.2 from PyPI; built at most once per key."""
    return ensure_venv()


@pytest.fixture
def hardpy_python(compat_venv_python: Path) -> Iterator[Path]:
    """That python with stand-bridge from this checkout, held for the test's length."""
    with this_checkout(compat_venv_python) as python:
        yield python


@pytest.fixture
def tls_sim(tmp_path: Path) -> Iterator[SimServer]:
    """The simulator over HTTPS with its own CA, as tests/cloud start it."""
    with SimServer(SimConfig(https=True, data_dir=tmp_path / "sim", interval=0.05)) as server:
        yield server
