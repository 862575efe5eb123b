"""The test plays the user's browser on the simulator's login page."""

from __future__ import annotations

import re
import ssl
from pathlib import Path

import httpx


def approve(
    link: str,
    *,
    login: str = "demo",
    password: str = "demo-password",
    action: str = "accept",
    ca_file: Path | None = None,
) -> httpx.Response:
    verify: ssl.SSLContext | bool = True
    if ca_file is not None:
        verify = ssl.create_default_context(cafile=str(ca_file))
    with httpx.Client(verify=verify, timeout=5) as browser:
        page = browser.get(link)
        page.raise_for_status()
        assert "Accept" in page.text
        action_path = re.search(r'<form method="post" action="([^"]+)"', page.text).group(1)
        user_code = re.search(r'name="user_code" value="([^"]*)"', page.text).group(1)
        csrf = re.search(r'name="csrf" value="([^"]*)"', page.text).group(1)
        return browser.post(
            str(page.url.join(action_path)),
            data={"user_code": user_code, "login": login, "password": password,
                  "action": action, "csrf": csrf},
        )


def device_login(sim) -> dict:  # type: ignore[no-untyped-def]
    """A whole device-flow login against the simulator: the tokens, with expires_at."""
    from bridge.cloud.login import poll_for_token, request_device_code
    from bridge.cloud.urls import Endpoints

    endpoints = Endpoints.from_address(sim.address)
    verify: ssl.SSLContext | bool = True
    if sim.ca_file is not None:
        verify = ssl.create_default_context(cafile=str(sim.ca_file))
    with httpx.Client(verify=verify) as http:
        device = request_device_code(http, endpoints)
        approve(device["verification_uri_complete"], ca_file=sim.ca_file)
        return poll_for_token(http, endpoints, device)
