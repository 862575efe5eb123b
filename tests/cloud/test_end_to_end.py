"""Acceptance: log in like an engineer, run the hil plan with autosync, read it back.

simulator up → `bridge sc-login` in its own process → the test plays the browser →
`Registration completed` → `sc-login --check` OK → the hil plan on the simulated
stand with autosync uploads its run (its own pytest process) → `bridge cloud runs`
lists it → `sc-logout` → the check says "not logged in" and no token is left.

The login and the test run are real processes, as on a stand; the short commands run
in this process (``main(argv)``), where a process boundary would only add a second of
imports each (the entry point itself is tested by ``--version`` in its own process).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from cloud_browser import login_in_a_process
from plan_support import Plan

from bridge.cli.main import main

REPO = Path(__file__).resolve().parents[2]


def _bridge(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_login_hil_run_with_autosync_listing_and_logout(tmp_path, sim, _isolated_tokens, capsys,
                                                        monkeypatch):
    stand = tmp_path / "hil"
    shutil.copytree(REPO / "hil", stand, ignore=shutil.ignore_patterns(".bridge", "__pycache__"))
    with (stand / "hardpy.toml").open("a", encoding="utf-8") as config:
        config.write(f'\n[stand_cloud]\naddress = "{sim.address}"\nautosync = true\n')

    login = login_in_a_process(["sc-login", sim.address], cwd=stand)
    assert login.returncode == 0, login.stderr
    assert "Registration completed" in login.stdout

    monkeypatch.chdir(stand)
    monkeypatch.setenv("COLUMNS", "200")
    code, out, err = _bridge(capsys, "sc-login", "--check", sim.address)
    assert code == 0 and out.startswith("OK"), err

    run = Plan(stand).pytest_process("--stand", "sim")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "StandCloud: 1 uploaded" in run.stdout
    code, out, err = _bridge(capsys, "export", "last")
    assert code == 0, err
    exported = json.loads(out)

    code, out, err = _bridge(capsys, "cloud", "runs")
    assert code == 0 and exported["id"] in out, err
    code, out, err = _bridge(capsys, "cloud", "runs", "--json")
    assert code == 0, err
    assert [r["test_run_id"] for r in json.loads(out)] == [exported["id"]]
    assert sim.db.report(exported["id"]) == exported

    code, out, err = _bridge(capsys, "sc-logout", sim.address)
    assert code == 0 and "removed the tokens" in out, err
    code, out, err = _bridge(capsys, "sc-login", "--check", sim.address)
    assert code == 1 and "not logged in" in err
    assert not any(_isolated_tokens.iterdir())  # no token left on disk (file store forced)
