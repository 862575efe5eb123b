"""The test plays the user's browser on the simulator's login page."""

from __future__ import annotations

import os
import re
import ssl
import subprocess
import threading
from pathlib import Path

import httpx
import pytest
from plan_support import bridge_piped


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
    with httpx.Client(verify=verify, timeout=30) as browser:
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


def login_in_a_process(args: list[str], timeout: float = 60, env: dict[str, str] | None = None,
                       cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``bridge ARGS`` (an ``sc-login``) in a process of its own, approve the link it
    prints, wait for it to end. A process that says nothing is killed after ``timeout``
    (never a hung test)."""
    proc = bridge_piped(*args, cwd=cwd or Path.cwd(), env=dict(os.environ) if env is None else env)
    watchdog = threading.Timer(timeout, proc.kill)
    watchdog.start()
    try:
        link = None
        for line in proc.stdout:
            if "/auth/device?user_code=" in line:
                link = line.strip()
                break
        assert link, f"no link within {timeout} s: {proc.communicate(timeout)[1]}"
        approve(link)
        out, err = proc.communicate(timeout=timeout)
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.communicate(30)
    return subprocess.CompletedProcess(["bridge", *args], proc.returncode, out, err)


def login_in_process(monkeypatch: pytest.MonkeyPatch, argv: list[str],
                     action: str = "accept") -> int:
    """``bridge sc-login`` in this process: the test's browser answers the link as soon as
    the command has shown it (the process-level flow is tested with real processes)."""
    from bridge.cli import cloud_login as cloud
    from bridge.cli.main import main

    shown = cloud._show_link

    def show_and_answer(device: dict) -> None:
        shown(device)
        approve(device["verification_uri_complete"], action=action)

    monkeypatch.setattr(cloud, "_show_link", show_and_answer)
    return main(argv)
