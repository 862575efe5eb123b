"""Helpers of the StandCloud tests: runs in a real store, clients of the simulator, and
one loopback listener per test process that serves each test its own fresh simulator."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bridge.cloud.client import StandCloudClient
from bridge.cloud.settings import CloudSettings
from bridge.cloud.sim import SimConfig, SimServer
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


def errors_of_threads(action: Callable[[], object], count: int) -> list[BaseException]:
    """Run ``action`` in ``count`` threads at once; what any of them raised, for the
    test thread to assert on (an exception in a thread would otherwise go unseen)."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            action()
        except BaseException as exc:  # noqa: BLE001 (reported by the test thread)
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return errors


def api_client(sim: SimServer, **kwargs) -> StandCloudClient:
    from bridge.cloud.auth import ApiKeyCredentials

    settings = CloudSettings(
        Endpoints.from_address(sim.address), api_key=sim.api_key,
        timeout=kwargs.pop("timeout", 30.0),
    )
    return StandCloudClient(settings, ApiKeyCredentials(sim.api_key), **kwargs)


def uploader(store: Store, client: StandCloudClient, **kwargs) -> Uploader:
    kwargs.setdefault("policy", FAST)
    return Uploader(store, client, **kwargs)


def run_bridge(stand: Path, *argv: str) -> int:
    """``bridge --config STAND/hardpy.toml ARGV`` in this process: its exit code."""
    from bridge.cli.main import main

    return main(["--config", str(stand / "hardpy.toml"), *argv])


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


class SimHost:
    """A loopback HTTP listener that hands every request to the simulator mounted now.

    Why: starting and stopping a simulator's own server costs a thread and an event loop
    each time, as much as a simple test; one listener per test process keeps real HTTP on
    a real socket while each test still gets a fresh simulator (database, faults, routes)
    behind it. It stops as the simulator's own server does (``PromptServer``).
    """

    def __init__(self, host: str = "127.0.0.1"):
        self.host = host
        with socket.socket() as probe:
            probe.bind((host, 0))
            self.port: int = probe.getsockname()[1]
        self.app: Any = None  # the mounted simulator's ASGI app (its Guard)
        self.busy = 0  # requests being answered now
        self._server: Any = None
        self._thread: threading.Thread | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        app = self.app
        if app is None or scope["type"] != "http":
            await send({"type": "http.response.start", "status": 503,
                        "headers": [(b"content-length", b"0")]})
            await send({"type": "http.response.body", "body": b""})
            return
        self.busy += 1
        try:
            await app(scope, receive, send)
        finally:
            self.busy -= 1

    @property
    def running(self) -> bool:
        alive = self._thread is not None and self._thread.is_alive()
        return alive and not self._server.should_exit

    def start(self, timeout: float = 30.0) -> None:
        import uvicorn

        from bridge.cloud.sim.serving import PromptServer

        if self.running:
            return
        self.stop()  # after a fault-injected shutdown: let the old thread end first
        # IPPROTO_TCP: asyncio sets TCP_NODELAY only then (else +40 ms an answer)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        sock.listen(128)
        config = uvicorn.Config(self, log_level="error", log_config=None, access_log=False,
                                lifespan="off", timeout_keep_alive=30,
                                timeout_graceful_shutdown=1)
        self._server = server = PromptServer(config)
        self._thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]},
                                        name="standcloud-sim-host", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the simulator host on port {self.port} did not start")
            time.sleep(0.005)

    def stop(self) -> None:
        """Stop listening (connections are refused); running answers get 1 s, as a
        simulator's own server gives them."""
        if self._server is not None:
            self._server.exit_soon()
        if self._thread is not None:
            self._thread.join(timeout=30)
            if self._thread.is_alive():
                raise RuntimeError("the simulator host did not stop within 30 s")
        self._server = self._thread = None

    def shutdown_soon(self) -> None:
        if self._server is not None:
            self._server.exit_soon()

    def wait_idle(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self.busy and time.monotonic() < deadline:
            time.sleep(0.005)
        return not self.busy


class HostedSim(SimServer):
    """A fresh simulator served by the shared ``SimHost``: it behaves as a ``SimServer``
    of its own (``stop`` refuses connections, ``start`` serves again, a fault-injected
    shutdown stops the listener), at its host's port."""

    def __init__(self, host: SimHost, config: SimConfig):
        if config.https:
            raise ValueError("the shared host speaks plain HTTP: start a SimServer for TLS")
        if host.app is not None:
            raise RuntimeError("another simulator is on the shared host: one at a time, or"
                               " start a SimServer of its own")
        config.host, config.port = host.host, host.port
        self._host = host
        super().__init__(config)
        host.start()
        host.app = self.guard

    def start(self, timeout: float = 30.0) -> HostedSim:
        if not self.running:
            self._host.stop()
            self.sim.closing = False
            self._host.start(timeout)
            self._host.app = self.guard
        return self

    def stop(self) -> None:
        self.faults.wake_delayed()  # as SimServer.stop: delayed answers end now (503)
        self._host.stop()

    def _shutdown_soon(self) -> None:  # SimApp calls it after ``faults.shutdown_after``
        self._host.shutdown_soon()

    @property
    def running(self) -> bool:
        return self._host.running and self._host.app is self.guard

    def close(self) -> None:
        """Unmount; delayed answers end now (no client still waits for them), others
        still running after a second are cancelled by restarting the listener (what
        stopping a simulator's own server does to them)."""
        try:
            self.faults.wake_delayed()
            if not self._host.wait_idle(1.0):
                self._host.stop()
        finally:
            self._host.app = None
            self.db.close()
            if self._tmp is not None:
                self._tmp.cleanup()
            self._host.start()


def hosted_sim(host: SimHost, data_dir: Any, **config: Any) -> HostedSim:
    """A fresh simulator on the shared host; polling interval short unless given."""
    config.setdefault("interval", 0.01)
    return HostedSim(host, SimConfig(data_dir=data_dir, **config))
