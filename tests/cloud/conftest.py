"""Fixtures: a fresh StandCloud simulator per test behind one loopback listener per test
process, a real run store, tokens in tmp."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cloud_support import SimHost, hosted_sim

from bridge.cloud.sim import SimServer
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


@pytest.fixture(scope="session", autouse=True)
def _test_strength_password_hash() -> Iterator[None]:
    """The simulator's scrypt at a test's strength in this process: each sign-in and each
    new simulator hashes a password, tens of ms (far more on a busy machine) at full
    strength; what is stored and checked stays a salted scrypt hash."""
    from bridge.cloud.sim import db

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(db, "SCRYPT", {**db.SCRYPT, "n": 2**10})
        yield


@pytest.fixture(scope="session")
def sim_host() -> Iterator[SimHost]:
    host = SimHost()
    host.start()
    yield host
    host.stop()


@pytest.fixture
def sim(tmp_path: Path, sim_host: SimHost) -> Iterator[SimServer]:
    """A fresh simulator (its own database, faults and routes) on the shared listener."""
    with hosted_sim(sim_host, tmp_path / "sim") as server:
        yield server


@pytest.fixture
def make_sim(tmp_path: Path, sim_host: SimHost):
    """Another configuration of the simulator (one at a time), on the shared listener."""
    def make(data_dir: Path | None = None, **config: object) -> SimServer:
        return hosted_sim(sim_host, data_dir or tmp_path / "sim", **config)

    return make


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "runs.db") as opened:
        yield opened
