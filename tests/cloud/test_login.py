"""Device-flow login, refresh and the faults around them, against the live simulator."""

from __future__ import annotations

import time

import httpx
import pytest
from cloud_browser import approve

from bridge.cloud.auth import TokenCredentials, load_credentials
from bridge.cloud.client import StandCloudClient
from bridge.cloud.login import poll_for_token, request_device_code
from bridge.cloud.settings import CloudSettings
from bridge.cloud.tokens import FileTokenStore, token_stores
from bridge.cloud.urls import Endpoints
from bridge.errors import AuthError


def _login(sim, **poll) -> dict:
    endpoints = Endpoints.from_address(sim.address)
    with httpx.Client() as http:
        device = request_device_code(http, endpoints)
        approve(device["verification_uri_complete"])
        return poll_for_token(http, endpoints, device, **poll)


def _client_with(sim, token: dict, store=None) -> StandCloudClient:
    settings = CloudSettings(Endpoints.from_address(sim.address), timeout=30)
    store = store or token_stores()[0]
    store.save(settings.endpoints.base, token)
    return StandCloudClient(settings, TokenCredentials(settings.endpoints, store, token))


def test_device_flow_gives_tokens_that_pass_the_healthcheck(sim):
    token = _login(sim)
    assert token["refresh_token"] and token["expires_at"] > time.time()
    with _client_with(sim, token) as client:
        client.healthcheck()


def test_polling_waits_while_pending_and_returns_after_approval(sim):
    endpoints = Endpoints.from_address(sim.address)
    polls = []
    with httpx.Client() as http:
        device = request_device_code(http, endpoints)

        def sleep(seconds: float) -> None:
            polls.append(seconds)
            time.sleep(seconds)
            if len(polls) == 3:
                approve(device["verification_uri_complete"])

        token = poll_for_token(http, endpoints, device, sleep=sleep)
    assert len(polls) == 3 and token["access_token"]  # two pending answers, then the token


def test_slow_down_adds_to_the_interval(make_sim):
    waits = []
    with make_sim(interval=1.0) as sim, httpx.Client() as http:
        endpoints = Endpoints.from_address(sim.address)
        device = request_device_code(http, endpoints)
        device["interval"] = 0.0  # a client that polls too fast gets slow_down

        def sleep(seconds: float) -> None:
            waits.append(seconds)
            time.sleep(seconds)
            if len(waits) == 3:
                approve(device["verification_uri_complete"])

        poll_for_token(http, endpoints, device, sleep=sleep, slow_down_step=0.02)
    assert waits[0] == 0.0 and waits[-1] > waits[0]


def test_denied_approval_stops_the_login_with_a_clear_message(sim):
    endpoints = Endpoints.from_address(sim.address)
    with httpx.Client() as http:
        device = request_device_code(http, endpoints)
        page = approve(device["verification_uri_complete"], action="deny")
        assert page.status_code == 403 and "Access denied" in page.text
        with pytest.raises(AuthError, match="denied in the browser"):
            poll_for_token(http, endpoints, device)


def test_wrong_password_shows_the_form_again_and_login_still_works(sim):
    endpoints = Endpoints.from_address(sim.address)
    with httpx.Client() as http:
        device = request_device_code(http, endpoints)
        page = approve(device["verification_uri_complete"], password="wrong")
        assert page.status_code == 401 and "Wrong login or password" in page.text
        approve(device["verification_uri_complete"])
        assert poll_for_token(http, endpoints, device)["access_token"]


def test_device_code_used_twice_is_refused(sim):
    endpoints = Endpoints.from_address(sim.address)
    with httpx.Client() as http:
        device = request_device_code(http, endpoints)
        approve(device["verification_uri_complete"])
        poll_for_token(http, endpoints, device)
        with pytest.raises(AuthError, match="already used"):
            poll_for_token(http, endpoints, device)


def test_expired_device_code_stops_the_login(sim):
    sim.auth._endpoints["device_authorization"][0].EXPIRES_IN = 0
    endpoints = Endpoints.from_address(sim.address)
    with httpx.Client() as http:
        device = request_device_code(http, endpoints)
        device["expires_in"] = 60  # the client would wait; the server says expired
        time.sleep(0.01)
        with pytest.raises(AuthError, match="expired"):
            poll_for_token(http, endpoints, device)
        page = approve(device["verification_uri_complete"])
        assert page.status_code == 400 and "expired" in page.text


def test_login_gives_up_after_the_time_limit(sim):
    endpoints = Endpoints.from_address(sim.address)
    with httpx.Client() as http:
        device = request_device_code(http, endpoints)
        with pytest.raises(AuthError, match="not approved within"):
            # short: nobody will approve; it still polls a few times (interval 0.01 s)
            poll_for_token(http, endpoints, device, limit=0.05)


def test_expired_access_token_is_refreshed_once_on_401(sim):
    token = _login(sim)
    with _client_with(sim, token) as client:
        sim.expire_access_tokens()
        client.healthcheck()
        assert client.credentials._token["access_token"] != token["access_token"]
    saved = token_stores()[0].load(Endpoints.from_address(sim.address).base)
    assert saved["refresh_token"] != token["refresh_token"]  # rotated and stored


def test_revoked_refresh_token_asks_for_sc_login_again(sim):
    token = _login(sim)
    with _client_with(sim, token) as client:
        sim.revoke_refresh_tokens()
        with pytest.raises(AuthError, match="sc-login"):
            client.healthcheck()


def test_api_key_from_environment_wins_over_the_file(sim, monkeypatch):
    from bridge.config import StandCloudSection

    section = StandCloudSection(address=sim.address, api_key="from-file")
    monkeypatch.setenv("HARDPY_SC_API_KEY", sim.api_key)
    monkeypatch.setenv("BRIDGE_SC_ADDRESS", sim.address)
    settings = CloudSettings.from_section(section)
    assert settings.api_key == sim.api_key
    credentials = load_credentials(settings.endpoints, settings.api_key, token_stores())
    with StandCloudClient(settings, credentials) as client:
        client.healthcheck()


def test_not_logged_in_says_how_to_log_in(sim):
    endpoints = Endpoints.from_address(sim.address)
    with pytest.raises(AuthError, match="sc-login"):
        load_credentials(endpoints, None, [FileTokenStore(token_stores()[0].directory)])


def test_polling_rides_out_a_short_network_blip(sim):
    endpoints = Endpoints.from_address(sim.address)
    calls = []
    with httpx.Client() as http:
        device = request_device_code(http, endpoints)

        def sleep(seconds: float) -> None:
            calls.append(seconds)
            if len(calls) == 1:
                sim.stop()  # the next poll meets a refused connection
            elif len(calls) == 2:
                sim.start()
                approve(device["verification_uri_complete"])

        assert poll_for_token(http, endpoints, device, sleep=sleep)["access_token"]
    assert len(calls) == 2


def test_two_processes_sharing_a_login_never_replay_a_rotated_refresh_token(sim):
    """A second sync with the same stored login takes the token the first refreshed,
    instead of spending the used refresh token (which would end the whole login)."""
    endpoints = Endpoints.from_address(sim.address)
    token = _login(sim)
    token["expires_at"] = time.time() + 5  # both will refresh before their first request
    store = token_stores()[0]
    store.save(endpoints.base, token)
    settings = CloudSettings(endpoints, timeout=30)
    first = TokenCredentials(endpoints, store, dict(token))
    second = TokenCredentials(endpoints, store, dict(token))
    for credentials in (first, second):
        with StandCloudClient(settings, credentials) as client:
            client.healthcheck()
    assert second.expires_at == first.expires_at  # the second took the first's token
