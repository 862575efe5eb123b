"""Acceptance: log in like an engineer, run the hil plan with autosync, read it back.

simulator up → `bridge sc-login` in its own process → the test plays the browser →
`Registration completed` → `sc-login --check` OK → the hil plan on the simulated
stand with autosync uploads its run → `bridge cloud runs` lists it → `sc-logout` →
the check says "not logged in" and no token is left.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from cloud_browser import approve

REPO = Path(__file__).resolve().parents[2]


def _bridge(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bridge.cli.main", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "COLUMNS": "200"},
    )


def test_login_hil_run_with_autosync_listing_and_logout(tmp_path, sim, _isolated_tokens):
    stand = tmp_path / "hil"
    shutil.copytree(REPO / "hil", stand, ignore=shutil.ignore_patterns(".bridge", "__pycache__"))
    with (stand / "hardpy.toml").open("a", encoding="utf-8") as config:
        config.write(f'\n[stand_cloud]\naddress = "{sim.address}"\nautosync = true\n')

    login = subprocess.Popen(
        [sys.executable, "-m", "bridge.cli.main", "sc-login", sim.address],
        cwd=stand,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    deadline = time.monotonic() + 20
    for line in login.stdout:  # type: ignore[union-attr]
        if "/auth/device?user_code=" in line:
            assert approve(line.strip()).status_code == 200
            break
        assert time.monotonic() < deadline
    out, err = login.communicate(timeout=30)
    assert login.returncode == 0, err
    assert "Registration completed" in out

    check = _bridge(stand, "sc-login", "--check", sim.address)
    assert check.returncode == 0 and check.stdout.startswith("OK"), check.stderr

    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--stand", "sim"],
        cwd=stand,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "StandCloud: 1 uploaded" in run.stdout
    exported = json.loads(_bridge(stand, "export", "last").stdout)

    listed = _bridge(stand, "cloud", "runs")
    assert listed.returncode == 0, listed.stderr
    assert exported["id"] in listed.stdout
    as_json = json.loads(_bridge(stand, "cloud", "runs", "--json").stdout)
    assert [r["test_run_id"] for r in as_json] == [exported["id"]]
    assert sim.db.report(exported["id"]) == exported

    logout = _bridge(stand, "sc-logout", sim.address)
    assert logout.returncode == 0 and "removed the tokens" in logout.stdout
    after = _bridge(stand, "sc-login", "--check", sim.address)
    assert after.returncode == 1 and "not logged in" in after.stderr
    assert not any(_isolated_tokens.iterdir())  # no token left on disk (file store forced)
