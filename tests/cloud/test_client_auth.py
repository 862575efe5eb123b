"""The bearer flow (401 → refresh → one retry) and the client's answers, through
``httpx.MockTransport``: a fake StandCloud in the test process, no live server."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from cloud_support import errors_of_threads

from bridge.cloud.auth import ApiKeyCredentials, TokenCredentials
from bridge.cloud.client import StandCloudClient, Unavailable
from bridge.cloud.settings import CloudSettings
from bridge.cloud.tokens import FileTokenStore
from bridge.cloud.urls import Endpoints
from bridge.errors import AuthError, StandCloudError, UploadRejected

ENDPOINTS = Endpoints.from_address("https://sc.example")


class FakeCloud:
    """Token endpoint with rotation and a replay rule; the stand API checks bearers."""

    def __init__(self) -> None:
        self.valid = {"a0"}
        self.refresh_tokens = {"r0": "a0"}  # unspent refresh token -> its access token
        self.spent: set[str] = set()
        self.ended = False  # a replayed refresh token ends the whole login
        self.log: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self.upload_answer: Callable[[httpx.Request], httpx.Response] | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            if str(request.url) == ENDPOINTS.token:
                return self._token(request)
            bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
            self.log.append((request.url.path, bearer))
            if bearer not in self.valid or self.ended:
                return httpx.Response(401, json={"detail": "invalid token"})
        if self.upload_answer and request.method == "POST":
            return self.upload_answer(request)
        return httpx.Response(201, json={"test_run_id": "remote-1"})

    def _token(self, request: httpx.Request) -> httpx.Response:
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        self.log.append(("token", form["refresh_token"]))
        assert form["grant_type"] == "refresh_token" and form["audience"] == ENDPOINTS.api_root
        if form["refresh_token"] in self.spent:
            self.ended = True
            return httpx.Response(400, json={"error": "invalid_grant"})
        old = self.refresh_tokens.pop(form["refresh_token"], None)
        if old is None or self.ended:
            return httpx.Response(400, json={"error": "invalid_grant"})
        self.spent.add(form["refresh_token"])
        self.valid.discard(old)
        n = len(self.spent)
        self.valid.add(f"a{n}")
        self.refresh_tokens[f"r{n}"] = f"a{n}"
        return httpx.Response(
            200, json={"access_token": f"a{n}", "refresh_token": f"r{n}", "expires_in": 3600}
        )

    def expire_access_tokens(self) -> None:
        self.valid.clear()

    def refreshes(self) -> int:
        return sum(1 for what, _ in self.log if what == "token")


def _client(
    cloud: Any, credentials: ApiKeyCredentials | TokenCredentials, **kwargs: Any
) -> StandCloudClient:
    settings = CloudSettings(ENDPOINTS, timeout=5)
    return StandCloudClient(settings, credentials, transport=httpx.MockTransport(cloud), **kwargs)


def _login(tmp_path, expires_in: float = 3600) -> TokenCredentials:
    store = FileTokenStore(tmp_path / "tokens")
    token = {"access_token": "a0", "refresh_token": "r0", "expires_at": time.time() + expires_in}
    store.save(ENDPOINTS.base, token)
    return TokenCredentials(ENDPOINTS, store, dict(token))


def test_401_refreshes_once_retries_and_stores_the_rotated_tokens(tmp_path):
    cloud = FakeCloud()
    credentials = _login(tmp_path)
    cloud.expire_access_tokens()
    with _client(cloud, credentials) as client:
        assert client.upload({"id": "run-1"}) == "remote-1"
    assert cloud.log == [
        ("/hardpy/api/v1/test_report", "a0"),
        ("token", "r0"),
        ("/hardpy/api/v1/test_report", "a1"),
    ]
    assert credentials.store.load(ENDPOINTS.base)["refresh_token"] == "r1"


def test_token_near_expiry_is_refreshed_before_the_request(tmp_path):
    cloud = FakeCloud()
    with _client(cloud, _login(tmp_path, expires_in=5)) as client:
        client.healthcheck()
    assert cloud.log == [("token", "r0"), ("/hardpy/api/v1/healthcheck", "a1")]


def test_a_second_401_after_the_refresh_is_an_auth_error_saying_sc_login(tmp_path):
    cloud = FakeCloud()
    cloud.upload_answer = lambda request: httpx.Response(401, json={"detail": "nope"})
    with _client(cloud, _login(tmp_path)) as client, pytest.raises(AuthError) as caught:
        client.upload({"id": "run-1"})
    assert "sc-login https://sc.example" in str(caught.value) and "nope" in str(caught.value)
    assert cloud.refreshes() == 1  # one refresh, one retry: never a loop


def test_refused_refresh_ends_with_sc_login_and_no_retry(tmp_path):
    cloud = FakeCloud()
    cloud.refresh_tokens.clear()  # the server revoked the login
    cloud.expire_access_tokens()
    with _client(cloud, _login(tmp_path)) as client, pytest.raises(AuthError, match="sc-login"):
        client.healthcheck()
    assert [what for what, _ in cloud.log] == ["/hardpy/api/v1/healthcheck", "token"]


def test_parallel_401s_share_one_refresh_so_no_refresh_token_is_replayed(tmp_path):
    cloud = FakeCloud()
    cloud.expire_access_tokens()
    refused_together = threading.Barrier(6, timeout=30)

    def handler(request: httpx.Request) -> httpx.Response:
        response = cloud(request)
        if response.status_code == 401:
            refused_together.wait()  # all six hold a refused bearer at once
        return response

    with _client(handler, _login(tmp_path), connections=6) as client:
        errors = errors_of_threads(lambda: client.upload({"id": "run"}), 6)
    assert errors == [] and not cloud.ended
    assert cloud.refreshes() == 1


def test_a_token_another_process_refreshed_is_taken_not_refreshed_again(tmp_path):
    cloud = FakeCloud()
    first = _login(tmp_path, expires_in=5)
    second = TokenCredentials(ENDPOINTS, first.store, dict(first._token))
    for credentials in (first, second):
        with _client(cloud, credentials) as client:
            client.healthcheck()
    assert cloud.refreshes() == 1 and not cloud.ended
    assert second._token["access_token"] == "a1"


def test_api_key_401_is_final_and_names_the_key():
    cloud = FakeCloud()
    with (
        _client(cloud, ApiKeyCredentials("wrong")) as client,
        pytest.raises(AuthError, match="check the API key"),
    ):
        client.healthcheck()
    assert cloud.log == [("/hardpy/api/v1/healthcheck", "wrong")]


def test_expired_login_without_refresh_token_says_sc_login(tmp_path):
    store = FileTokenStore(tmp_path / "tokens")
    credentials = TokenCredentials(ENDPOINTS, store, {"access_token": "a0", "expires_at": 1.0})
    with _client(FakeCloud(), credentials) as client, pytest.raises(AuthError, match="expired"):
        client.healthcheck()


@pytest.mark.parametrize(
    ("answer", "error", "text"),
    [
        (httpx.Response(500, text="boom"), StandCloudError, "token refresh failed with HTTP 500"),
        (httpx.Response(200, text="not json"), StandCloudError, "malformed token answer"),
    ],
)
def test_a_broken_token_endpoint_is_one_clear_error(tmp_path, answer, error, text):
    def cloud(request: httpx.Request) -> httpx.Response:
        return answer if str(request.url) == ENDPOINTS.token else httpx.Response(401)

    with _client(cloud, _login(tmp_path)) as client, pytest.raises(error, match=text):
        client.healthcheck()


def test_no_connection_to_the_token_endpoint_says_the_refresh_failed(tmp_path):
    def cloud(request: httpx.Request) -> httpx.Response:
        if str(request.url) == ENDPOINTS.token:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(401)

    with (
        _client(cloud, _login(tmp_path)) as client,
        pytest.raises(StandCloudError, match="cannot refresh the StandCloud login"),
    ):
        client.healthcheck()


@pytest.mark.parametrize(
    ("answer", "error", "text"),
    [
        (
            httpx.Response(422, json={"detail": "dut.part_number missing"}),
            UploadRejected,
            "dut.part_number missing",
        ),
        (httpx.Response(503, headers={"Retry-After": "7"}), Unavailable, "HTTP 503"),
        (httpx.Response(200, json={}), Unavailable, "unexpected answer"),
    ],
)
def test_upload_answers_map_to_the_error_tree(answer, error, text):
    def cloud(request: httpx.Request) -> httpx.Response:
        return answer

    with _client(cloud, ApiKeyCredentials("k")) as client, pytest.raises(error, match=text) as e:
        client.upload(b"{}")
    if answer.status_code == 503:
        assert e.value.retry_after == 7.0


def test_every_request_carries_the_user_agent_refresh_included(tmp_path):
    agents = []
    fake = FakeCloud()

    def cloud(request: httpx.Request) -> httpx.Response:
        agents.append(request.headers["User-Agent"])
        return fake(request)

    with _client(cloud, _login(tmp_path, expires_in=5)) as client:
        client.healthcheck()
    assert agents == ["stand-bridge", "stand-bridge"]
