"""Fixtures: a fresh StandCloud simulator per test behind one loopback listener per test
process, a real run store, tokens in tmp."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cloud_support import SimHost, hosted_sim

from bridge.cloud.sim import SimServer
from bridge.store import Store


@pytest.fixture
def stand(tmp_path: Path, sim: SimServer) -> Path:
    """A stand folder whose hardpy.toml points at the simulator (see run_bridge)."""
    folder = tmp_path / "stand"
    folder.mkdir()
    (folder / "hardpy.toml").write_text(
        f'[stand_cloud]\naddress = "{sim.address}"\n[store]\npath = "runs.db"\n')
    return folder


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


@pytest.fixture(scope="session", autouse=True)
def _one_default_trust_store() -> Iterator[None]:
    """httpx parses the whole CA bundle into a new SSL context for every client that
    verifies with the default trust (15 ms, ten times that on a busy machine), and the
    tests here make several clients each: they share one such context, built once, with
    the same trust. Clients given their own context or ``verify=False`` are untouched."""
    from httpx._transports import default

    built = default.create_ssl_context
    contexts: dict[tuple[str | None, str | None], Any] = {}

    def create_ssl_context(verify=True, cert=None, trust_env=True):  # type: ignore[no-untyped-def]
        if verify is not True or cert is not None:
            return built(verify=verify, cert=cert, trust_env=trust_env)
        # what httpx's default trust depends on: SSL_CERT_FILE / SSL_CERT_DIR
        key = ((os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
               if trust_env else (None, None))
        if key not in contexts:
            contexts[key] = built(verify=True, trust_env=trust_env)
        return contexts[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(default, "create_ssl_context", create_ssl_context)
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
