"""sc-login against a server whose device-flow answers hold numbers that are not
numbers: one clear line naming the field (exit 1), never Python's words from ``float``
or ``time.sleep`` in a traceback. A real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from bridge.cli.main import main


class _Server(ThreadingHTTPServer):
    device: dict[str, Any]
    token: dict[str, Any]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        answer = self.server.device if self.path.endswith("device-authorization") \
            else self.server.token
        body = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[_Server]:
    httpd = _Server(("127.0.0.1", 0), _Handler)
    httpd.device = {"device_code": "d", "user_code": "U", "verification_uri": "http://x/v",
                    "interval": 0, "expires_in": 60}
    httpd.token = {"access_token": "a", "refresh_token": "r", "expires_in": 60}
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02},
                              daemon=True)  # shutdown() waits a poll: 0.5 s by default
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=30)


def _login(server: _Server, tmp_path, capsys) -> tuple[int, str]:
    """Tokens go to tmp (the autouse fixture of tests/cloud/conftest.py)."""
    config = tmp_path / "hardpy.toml"
    config.write_text("")
    address = f"http://127.0.0.1:{server.server_address[1]}"
    code = main(["--config", str(config), "sc-login", address, "--timeout", "30"])
    return code, capsys.readouterr().err


@pytest.mark.parametrize(("key", "value"), [
    ("interval", -1), ("interval", "soon"), ("interval", [5]), ("expires_in", "never"),
])
def test_a_device_answer_with_a_bad_time_span_names_it(server, tmp_path, capsys, key, value):
    server.device[key] = value
    code, err = _login(server, tmp_path, capsys)
    assert code == 1 and "Traceback" not in err
    assert f"sc-login: error: malformed device answer from StandCloud: {key} = " in err


def test_a_token_answer_with_a_bad_lifetime_is_a_malformed_answer(server, tmp_path, capsys):
    server.token["expires_in"] = "soon"
    code, err = _login(server, tmp_path, capsys)
    assert code == 1 and "sc-login: error: malformed token answer from StandCloud" in err
