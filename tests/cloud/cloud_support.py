"""Helpers of the StandCloud tests: runs in a real store, clients of the simulator."""

from __future__ import annotations

import time
import uuid

from bridge.cloud.client import StandCloudClient
from bridge.cloud.settings import CloudSettings
from bridge.cloud.sim import SimServer
from bridge.cloud.sync import RetryPolicy, Uploader
from bridge.cloud.urls import Endpoints
from bridge.store import Store, outbox

FAST = RetryPolicy(attempts=4, base=0.01, cap=0.05)
TOKEN = {"access_token": "a", "refresh_token": "r", "expires_at": 1.0}


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


class MemoryKeyring:
    """A keyring backend in memory: what a desktop's Secret Service would be."""

    priority = 5

    def __init__(self) -> None:
        self.data: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, user: str) -> str | None:
        return self.data.get((service, user))

    def set_password(self, service: str, user: str, value: str) -> None:
        self.data[(service, user)] = value

    def delete_password(self, service: str, user: str) -> None:
        import keyring.errors

        if (service, user) not in self.data:
            raise keyring.errors.PasswordDeleteError("missing")
        del self.data[(service, user)]
