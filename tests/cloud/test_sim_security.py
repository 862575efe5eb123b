"""The StandCloud simulator as a server facing a hostile client (issue 9)."""

from __future__ import annotations

import re
import stat

import httpx
import pytest
from cloud_browser import device_login

from bridge.cli.main import main
from bridge.cloud.login import poll_for_token, request_device_code
from bridge.cloud.tokens import FileTokenStore
from bridge.cloud.urls import CLIENT_ID, Endpoints


def _refresh(sim, refresh_token: str) -> httpx.Response:
    endpoints = Endpoints.from_address(sim.address)
    return httpx.post(endpoints.token, data={
        "grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": CLIENT_ID,
    })


def _works(sim, access_token: str) -> bool:
    answer = httpx.get(Endpoints.from_address(sim.address).healthcheck,
                       headers={"Authorization": f"Bearer {access_token}"})
    return answer.status_code == 200


class Browser:
    """The sign-in page as a browser sees it: cookies kept, the form's CSRF token read."""

    def __init__(self, sim):
        self.http = httpx.Client(base_url=sim.url, timeout=10)
        self.sim = sim

    def open(self, user_code: str = "") -> httpx.Response:
        page = self.http.get("/auth/device", params={"user_code": user_code})
        self.csrf = re.search(r'name="csrf" value="([^"]*)"', page.text).group(1)
        return page

    def sign_in(self, user_code: str, password: str = "demo-password", login: str = "demo",
                **extra: str) -> httpx.Response:
        data = {"user_code": user_code, "login": login, "password": password,
                "action": "accept", "csrf": self.csrf, **extra}
        return self.http.post("/auth/device", data=data)


@pytest.fixture
def browser(sim):
    opened = Browser(sim)
    opened.open()
    yield opened
    opened.http.close()


def _device(sim) -> dict:
    with httpx.Client() as http:
        return request_device_code(http, Endpoints.from_address(sim.address))


def test_revoked_tokens_stop_working_rfc_7009(sim):
    token = device_login(sim)
    answer = httpx.post(Endpoints.from_address(sim.address).revocation, data={
        "token": token["refresh_token"], "token_type_hint": "refresh_token",
        "client_id": CLIENT_ID})
    assert answer.status_code == 200
    assert not _works(sim, token["access_token"])
    assert _refresh(sim, token["refresh_token"]).status_code == 400


def test_sc_logout_revokes_the_tokens_it_deletes(sim, tmp_path, capsys, _isolated_tokens):
    token = device_login(sim)
    base = Endpoints.from_address(sim.address).base
    FileTokenStore(_isolated_tokens).save(base, token)
    config = tmp_path / "hardpy.toml"
    config.write_text(f'[stand_cloud]\naddress = "{sim.address}"\n')
    assert main(["--config", str(config), "sc-logout"]) == 0
    assert f"Revoked the login at {base}" in capsys.readouterr().out
    assert FileTokenStore(_isolated_tokens).load(base) is None
    assert not _works(sim, token["access_token"])
    assert _refresh(sim, token["refresh_token"]).status_code == 400


def test_sc_logout_still_deletes_when_the_server_is_gone(sim, tmp_path, capsys,
                                                         _isolated_tokens):
    token = device_login(sim)
    base = Endpoints.from_address(sim.address).base
    FileTokenStore(_isolated_tokens).save(base, token)
    sim.stop()
    config = tmp_path / "hardpy.toml"
    config.write_text(f'[stand_cloud]\naddress = "{sim.address}"\n')
    assert main(["--config", str(config), "sc-logout"]) == 0
    captured = capsys.readouterr()
    assert "not revoked at StandCloud" in captured.err and "Logged out" in captured.out
    assert FileTokenStore(_isolated_tokens).load(base) is None


def test_replaying_a_used_refresh_token_revokes_its_successors(sim):
    first = device_login(sim)
    second = _refresh(sim, first["refresh_token"]).json()
    assert _works(sim, second["access_token"])
    assert _refresh(sim, first["refresh_token"]).status_code == 400  # the replay
    assert not _works(sim, second["access_token"])
    assert _refresh(sim, second["refresh_token"]).status_code == 400


def test_password_guessing_backs_off_per_user_and_per_ip(sim, browser):
    device = _device(sim)
    throttle = sim.sim.sign_in.throttle
    now = [1000.0]
    throttle.clock = lambda: now[0]
    for _ in range(throttle.free):
        assert browser.sign_in(device["user_code"], "guess").status_code == 401
    locked = browser.sign_in(device["user_code"])  # even the right password waits
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) >= 1
    other_user = browser.sign_in(device["user_code"], "guess", login="someone")
    assert other_user.status_code == 429  # the same IP is held back as well
    now[0] += throttle.cap + 1
    assert browser.sign_in(device["user_code"]).status_code == 200


def test_the_form_answers_alike_for_valid_and_invalid_user_codes(sim, browser):
    device = _device(sim)
    valid = browser.sign_in(device["user_code"], "wrong")
    invalid = browser.sign_in("BCDF-GHJK", "wrong")
    assert valid.status_code == invalid.status_code == 401
    assert valid.text.replace(device["user_code"], "") == invalid.text.replace("BCDF-GHJK", "")


def test_a_user_code_typed_without_its_dash_or_in_lower_case_is_accepted(sim, browser):
    for typed in (lambda code: code.replace("-", ""), str.lower):
        device = _device(sim)
        page = browser.sign_in(typed(device["user_code"]))
        assert page.status_code == 200 and "Token issued" in page.text
        with httpx.Client() as http:
            endpoints = Endpoints.from_address(sim.address)
            assert poll_for_token(http, endpoints, device)["access_token"]


def test_the_form_needs_its_csrf_token(sim, browser):
    device = _device(sim)
    assert browser.sign_in(device["user_code"], csrf="").status_code == 403
    assert browser.sign_in(device["user_code"], csrf="forged").status_code == 403
    with httpx.Client(base_url=sim.url) as other_site:  # no cookie: a cross-site post
        answer = other_site.post("/auth/device", data={
            "user_code": device["user_code"], "login": "demo", "password": "demo-password",
            "action": "accept", "csrf": browser.csrf})
    assert answer.status_code == 403
    assert browser.sign_in(device["user_code"]).status_code == 200


def test_pages_refuse_framing_and_fit_a_phone(sim, browser):
    page = browser.open("ABCD-EFGH")
    assert page.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert '<meta name="viewport" content="width=device-width' in page.text
    assert httpx.get(f"{sim.url}/hardpy/api/v1/healthcheck").headers["x-frame-options"] == "DENY"


def test_a_body_over_the_limit_is_refused_with_413(sim):
    sim.guard.max_body = 1000
    headers = {"Authorization": f"Bearer {sim.api_key}", "Content-Type": "application/json"}
    url = Endpoints.from_address(sim.address).test_report
    assert httpx.post(url, content=b" " * 2000, headers=headers).status_code == 413

    def chunks():  # no Content-Length: counted as it arrives
        for _ in range(4):
            yield b" " * 500

    assert httpx.post(url, content=chunks(), headers=headers).status_code == 413
    assert sim.db.execute("SELECT * FROM report_posts") == []


def test_a_client_over_the_request_rate_gets_429(sim):
    sim.guard.rate = 3.0
    sim.guard.clock = lambda: 50.0  # time stands still: the bucket never refills
    url = Endpoints.from_address(sim.address).healthcheck
    with httpx.Client() as http:
        answers = [http.get(url) for _ in range(5)]
    assert [a.status_code for a in answers] == [401, 401, 401, 429, 429]
    assert answers[-1].headers["retry-after"] == "1"


def test_data_dir_database_is_private_and_holds_no_secret_in_clear(tmp_path, make_sim):
    data = tmp_path / "sim-data"
    with make_sim(data_dir=data) as server:
        token = device_login(server)
        key = server.api_key
        assert _works(server, key)
        files = [p for p in data.iterdir() if p.name.startswith("standcloud.db")]
        assert {stat.S_IMODE(p.stat().st_mode) for p in files} == {0o600}, files
        assert stat.S_IMODE(data.stat().st_mode) == 0o700
        blob = b"".join(p.read_bytes() for p in files)
    for secret in ("demo-password", key, token["access_token"], token["refresh_token"]):
        assert secret.encode() not in blob, secret
