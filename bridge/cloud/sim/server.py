"""Run the simulator: in a background thread for tests, in the foreground for a CLI.

It listens on loopback only. With ``https=True`` it makes a throw-away CA (trustme),
serves a certificate for ``127.0.0.1`` and ``localhost`` signed by it, and writes the
CA to ``ca.pem`` in its data directory so that clients can be told to trust it.
Every request passes ``Guard`` first: body size and request rate limits, and headers
that forbid framing. The data directory and the database are its owner's only.
"""

from __future__ import annotations

import contextlib
import socket
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bridge.cloud.sim.app import SimApp
from bridge.cloud.sim.db import SimDB
from bridge.cloud.sim.faults import Faults
from bridge.cloud.sim.guard import Guard
from bridge.cloud.sim.oauth import create_auth_server

if TYPE_CHECKING:
    from bridge.cloud.sim.serving import PromptServer

DEMO_LOGIN = "demo"
DEMO_PASSWORD = "demo-password"


@dataclass
class SimConfig:
    host: str = "127.0.0.1"
    port: int = 0  # 0: a free port
    https: bool = False
    data_dir: Path | None = None  # None: a temporary directory
    access_ttl: float = 300.0  # seconds an access token lives
    refresh_ttl: float = 8 * 3600.0  # inactivity after which sc-login is needed again
    device_ttl: int = 300  # seconds a device / user code lives
    interval: float = 5.0  # polling interval the device endpoint asks for
    users: dict[str, str] = field(default_factory=lambda: {DEMO_LOGIN: DEMO_PASSWORD})
    api_key: str | None = None  # None: a random demo key
    log_level: str = "error"
    max_body: int = 32 * 1024 * 1024  # bytes: a report with large artifacts fits
    rate_limit: float | None = 2000.0  # requests per second per client IP (None: no limit)


class SimServer:
    """A StandCloud simulator listening on loopback."""

    def __init__(self, config: SimConfig | None = None):
        self.config = config or SimConfig()
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if self.config.data_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="standcloud-sim-")
            self.data_dir = Path(self._tmp.name)
        else:
            self.data_dir = Path(self.config.data_dir)
            self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.db = SimDB(self.data_dir / "standcloud.db")
        for login, password in self.config.users.items():
            self.db.add_user(login, password)
        self.api_key = self.db.add_api_key(DEMO_LOGIN, self.config.api_key)
        self.faults = Faults()
        self.ca_file: Path | None = None
        self._cert_files: tuple[str, str] | None = None
        if self.config.https:
            self._make_certificates()
        self.port = self._free_port() if self.config.port == 0 else self.config.port
        scheme = "https" if self.config.https else "http"
        self.url = f"{scheme}://{self.config.host}:{self.port}"
        self.address = self.url if scheme == "http" else f"{self.config.host}:{self.port}"
        self.auth = create_auth_server(
            self.db,
            verification_uri=f"{self.url}/auth/device",
            access_ttl=self.config.access_ttl,
            refresh_ttl=self.config.refresh_ttl,
            device_ttl=self.config.device_ttl,
            interval=self.config.interval,
        )
        self.sim = SimApp(self.db, self.auth, self.faults, on_shutdown=self._shutdown_soon)
        self.guard = Guard(self.sim.app, max_body=self.config.max_body,
                           rate=self.config.rate_limit)
        self._server: PromptServer | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None

    # -- certificates ---------------------------------------------------------------
    def _make_certificates(self) -> None:
        import trustme

        ca = trustme.CA(organization_name="StandCloud simulator")
        cert = ca.issue_cert("127.0.0.1", "localhost")
        self.ca_file = self.data_dir / "ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_file))
        key_file, chain_file = self.data_dir / "server.key", self.data_dir / "server.pem"
        cert.private_key_pem.write_to_path(str(key_file))
        chain_file.write_bytes(b"".join(blob.bytes() for blob in cert.cert_chain_pems))
        key_file.chmod(0o600)
        self._cert_files = (str(key_file), str(chain_file))

    def _free_port(self) -> int:
        with socket.socket() as sock:
            sock.bind((self.config.host, 0))
            return sock.getsockname()[1]

    def _socket(self) -> socket.socket:
        # proto=IPPROTO_TCP: asyncio sets TCP_NODELAY only on sockets that say they are TCP;
        # without it Nagle + delayed ACK add 40 ms to every answer.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.config.host, self.port))
        sock.listen(128)
        sock.set_inheritable(True)
        return sock

    def _uvicorn_server(self) -> PromptServer:
        import uvicorn

        from bridge.cloud.sim.protocol import http_protocol
        from bridge.cloud.sim.serving import PromptServer

        key, chain = self._cert_files or (None, None)
        config = uvicorn.Config(
            self.guard,
            http=http_protocol(),
            log_level=self.config.log_level,
            log_config=None,
            access_log=False,
            lifespan="off",
            ssl_keyfile=key,
            ssl_certfile=chain,
            timeout_keep_alive=30,
            timeout_graceful_shutdown=1,
        )
        return PromptServer(config)

    # -- life cycle -----------------------------------------------------------------
    def start(self, timeout: float = 10.0) -> SimServer:
        """Serve in a background thread; return once it accepts connections."""
        if self.running:
            return self
        self.stop()  # clean up after a fault-injected shutdown
        self.sim.closing = False
        self._server = server = self._uvicorn_server()
        sock = self._socket()
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="standcloud-sim", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("StandCloud simulator did not start")
            time.sleep(0.01)
        self._sock = sock
        return self

    def stop(self) -> None:
        """Stop listening (connections are refused afterwards); data is kept.

        Answers held by ``faults.delay`` end now (503, nothing stored): no client is
        waiting for them that a test still cares about, and shutdown need not wait."""
        self.faults.wake_delayed()
        if self._server is not None:
            self._server.exit_soon()
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._sock is not None:
            self._sock.close()
        self._server = self._thread = self._sock = None

    def _shutdown_soon(self) -> None:
        if self._server is not None:
            self._server.exit_soon()

    @property
    def running(self) -> bool:
        alive = self._thread is not None and self._thread.is_alive()
        return alive and self._server is not None and not self._server.should_exit

    def restart(self) -> SimServer:
        self.stop()
        return self.start()

    def close(self) -> None:
        self.stop()
        self.db.close()
        if self._tmp is not None:
            with contextlib.suppress(OSError):
                self._tmp.cleanup()

    def bind(self) -> SimServer:
        """Listen now (connections queue up) so that the printed address already works."""
        self._listening()
        return self

    def _listening(self) -> socket.socket:
        if self._sock is None:
            self._sock = self._socket()
        return self._sock

    def serve_forever(self) -> None:
        """Serve in this thread until Ctrl-C (uvicorn handles the signals).

        The process is the simulator's alone: what it has imported and built so far
        lives as long as it does, so the garbage collector is told to leave it be
        (``gc.freeze``) instead of walking it again and again under load.
        """
        import gc

        self._server = server = self._uvicorn_server()
        gc.freeze()
        server.run(sockets=[self._listening()])

    def __enter__(self) -> SimServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- test helpers ---------------------------------------------------------------
    def expire_access_tokens(self) -> None:
        self.db.execute("UPDATE tokens SET expires_at = 0")

    def revoke_refresh_tokens(self) -> None:
        self.db.execute("UPDATE tokens SET revoked = 1")
