"""Fixtures: the cached venv with real HardPy, and ways to run its python there."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from compat_venv import ensure_venv

from bridge.cloud.sim import SimConfig, SimServer


@pytest.fixture(scope="session")
def hardpy_python() -> Path:
    """python of a venv holding hardpy==0.25.2 from PyPI and stand-bridge."""
    return ensure_venv()


@pytest.fixture
def tls_sim(tmp_path: Path) -> Iterator[SimServer]:
    """The simulator over HTTPS with its own CA, as tests/cloud start it."""
    with SimServer(SimConfig(https=True, data_dir=tmp_path / "sim", interval=0.05)) as server:
        yield server
