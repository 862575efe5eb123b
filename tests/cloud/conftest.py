"""Fixtures: a live StandCloud simulator on loopback, a real run store, tokens in tmp."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.cloud.sim import SimConfig, SimServer
from bridge.store import Store


@pytest.fixture(autouse=True)
def _isolated_tokens(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Never touch the real keyring or user config dir."""
    directory = tmp_path / "tokens"
    monkeypatch.setenv("BRIDGE_TOKEN_DIR", str(directory))
    monkeypatch.setenv("BRIDGE_TOKEN_STORE", "file")
    monkeypatch.delenv("HARDPY_SC_API_KEY", raising=False)
    monkeypatch.delenv("BRIDGE_SC_ADDRESS", raising=False)
    return directory


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SimServer]:
    server = SimServer(SimConfig(data_dir=tmp_path / "sim", interval=0.05))
    with server:
        yield server


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "runs.db") as opened:
        yield opened
