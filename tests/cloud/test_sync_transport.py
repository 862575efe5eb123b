"""The lean transport under the StandCloud client: keep-alive, stale connections, errors.

Real HTTP on loopback: a small ``http.server`` that counts the connections it serves,
and sockets that never answer or answer garbage.
"""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from cloud_support import errors_of_threads

from bridge.cloud.auth import ApiKeyCredentials
from bridge.cloud.client import StandCloudClient, default_transport
from bridge.cloud.settings import CloudSettings
from bridge.cloud.transport import DirectTransport
from bridge.cloud.urls import Endpoints
from bridge.errors import Unavailable


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive unless the handler closes
    # head and body leave in two writes: with Nagle's algorithm the body waits for the
    # client's delayed ACK, 40 ms an answer
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._answer(b"{}")

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.seen.append((dict(self.headers), body))  # type: ignore[attr-defined]
        self._answer(b'{"test_run_id": "r-1"}', status=201)

    def _answer(self, body: bytes, status: int = 200) -> None:
        self.server.peers.add(self.client_address)  # type: ignore[attr-defined]
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        # a server that drops idle connections without saying so
        self.close_connection = self.server.close_after  # type: ignore[attr-defined]

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[Any]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.peers, httpd.seen, httpd.close_after = set(), [], False  # type: ignore[attr-defined]
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02},
                              daemon=True)  # shutdown() waits a poll: 0.5 s by default
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()


def _url(port: int) -> str:
    return f"http://127.0.0.1:{port}"


def _client(port: int, timeout: float = 10.0) -> StandCloudClient:
    settings = CloudSettings(Endpoints.from_address(_url(port)), api_key="key", timeout=timeout)
    return StandCloudClient(settings, ApiKeyCredentials("key"))


def test_the_client_uses_the_lean_transport_unless_a_proxy_is_set(monkeypatch):
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy", "http_proxy",
                 "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    assert isinstance(default_transport(True, 2), DirectTransport)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    assert default_transport(True, 2) is None  # httpx's own: it knows proxies


def test_requests_share_one_keep_alive_connection(server):
    with _client(server.server_port) as client:
        for _ in range(5):
            client.healthcheck()
    assert len(server.peers) == 1


def test_headers_and_body_arrive_as_sent(server):
    body = b'{"id": "run-1", "text": "' + "é".encode() + b'"}'
    with _client(server.server_port) as client:
        assert client.upload(body) == "r-1"
    headers, received = server.seen[0]
    assert received == body
    assert headers["Authorization"] == "Bearer key"
    assert headers["Content-Type"] == "application/json"
    assert headers["Host"] == f"127.0.0.1:{server.server_port}"


def test_a_connection_the_server_dropped_while_idle_is_replaced(server):
    server.close_after = True
    with _client(server.server_port) as client:
        for _ in range(3):
            client.healthcheck()
    assert len(server.peers) == 3  # each request after a drop went on a new connection


def test_a_refused_connection_is_worth_retrying():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens here once it is closed
    with _client(port) as client, pytest.raises(Unavailable, match="cannot reach"):
        client.healthcheck()


def test_an_answer_that_never_comes_is_a_timeout():
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # the kernel accepts the connection; nobody ever answers
        # short: nothing will ever answer, however busy the machine
        with _client(silent.getsockname()[1], timeout=0.05) as client, pytest.raises(
            Unavailable, match="did not answer in time"
        ):
            client.healthcheck()


def test_a_garbage_answer_is_a_protocol_error_worth_retrying():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)

        def answer_garbage() -> None:
            conn, _ = listener.accept()
            with conn:
                conn.recv(65536)
                conn.sendall(b"this is not HTTP\r\n\r\n")

        thread = threading.Thread(target=answer_garbage, daemon=True)
        thread.start()
        transport = DirectTransport()
        with httpx.Client(transport=transport) as http, pytest.raises(
            httpx.RemoteProtocolError
        ):
            http.get(_url(listener.getsockname()[1]))
        thread.join(10)


def test_closing_the_transport_closes_its_idle_connections(server):
    transport = DirectTransport()
    with httpx.Client(transport=transport) as http:
        assert http.get(_url(server.server_port)).status_code == 200
        idle = [conn for conns in transport._idle.values() for conn in conns]
        assert len(idle) == 1 and idle[0].sock.fileno() != -1
    assert idle[0].sock.fileno() == -1  # closed


def test_threads_beyond_the_connection_limit_wait_for_a_free_connection(server):
    settings = CloudSettings(Endpoints.from_address(_url(server.server_port)), timeout=10)
    with StandCloudClient(settings, ApiKeyCredentials("key"), connections=1) as client:

        def check() -> None:
            for _ in range(3):
                client.healthcheck()

        errors = errors_of_threads(check, 3)
    assert errors == []
    assert len(server.peers) == 1
