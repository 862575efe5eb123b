"""Fixtures: a live StandCloud simulator on loopback, a real run store, tokens in tmp."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.cloud.client import StandCloudClient
from bridge.cloud.settings import CloudSettings
from bridge.cloud.sim import SimConfig, SimServer
from bridge.cloud.sync import RetryPolicy, Uploader
from bridge.cloud.urls import Endpoints
from bridge.store import Store, outbox

FAST = RetryPolicy(attempts=4, base=0.01, cap=0.05)


@pytest.fixture(autouse=True)
def _isolated_tokens(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Never touch the real keyring or user config dir."""
    directory = tmp_path / "tokens"
    monkeypatch.setenv("BRIDGE_TOKEN_DIR", str(directory))
    monkeypatch.setenv("BRIDGE_TOKEN_STORE", "file")
    monkeypatch.delenv("HARDPY_SC_API_KEY", raising=False)
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


def add_run(
    store: Store,
    *,
    part_number: str | None = "PN-1",
    stand: str | None = "Stand A",
    serial: str = "SN-1",
    queue: bool = True,
) -> str:
    """A finished run in the store, queued in the outbox as the core does."""
    run_id = str(uuid.uuid4())
    now = time.time()
    with store.write() as conn:
        conn.execute(
            "INSERT INTO runs (id, name, status, start_time, stop_time, host, pid, hw_id,"
            " stand_name, dut_part_number, dut_serial_number)"
            " VALUES (?, 'plan', 'passed', ?, ?, 'test-host', 1, 'hw-1', ?, ?, ?)",
            (run_id, now - 2, now, stand, part_number, serial),
        )
    if queue:
        outbox.enqueue(store, run_id)
    return run_id


def api_client(sim: SimServer, **kwargs) -> StandCloudClient:
    from bridge.cloud.auth import ApiKeyCredentials

    settings = CloudSettings(
        Endpoints.from_address(sim.address), api_key=sim.api_key, timeout=kwargs.pop("timeout", 5.0)
    )
    return StandCloudClient(settings, ApiKeyCredentials(sim.api_key), **kwargs)


def uploader(store: Store, client: StandCloudClient, **kwargs) -> Uploader:
    kwargs.setdefault("policy", FAST)
    return Uploader(store, client, **kwargs)


def state_of(store: Store, run_id: str) -> str:
    return store.conn.execute("SELECT state FROM outbox WHERE run_id = ?", (run_id,)).fetchone()[0]
