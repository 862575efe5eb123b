"""HardPy's spellings of our commands: sc-login --check/--no-check, sc-sync, --version."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from cloud_browser import login_in_a_process
from cloud_support import add_run, state_of

from bridge import __version__
from bridge.cli.main import main
from bridge.store import Store


@pytest.mark.parametrize("script", ["bridge", "hardpy"])
def test_version_names_stand_bridge_and_its_version(script):
    bin_dir = Path(sys.executable).parent
    result = subprocess.run([str(bin_dir / script), "--version"], capture_output=True,
                            text=True, timeout=60)
    assert (result.returncode, result.stdout.strip()) == (0, f"stand-bridge {__version__}")


def test_sc_login_no_check_logs_in_and_check_then_reports_it(stand, sim, capsys):
    done = login_in_a_process(
        ["--config", str(stand / "hardpy.toml"), "sc-login", "--no-check", sim.address])
    assert done.returncode == 0 and "Registration completed" in done.stdout, done.stderr
    assert main(["--config", str(stand / "hardpy.toml"), "sc-login", "--check"]) == 0
    assert "OK: logged in" in capsys.readouterr().out


def test_sc_sync_is_sync_and_takes_hardpy_tests_dir(stand, sim, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("HARDPY_SC_API_KEY", sim.api_key)
    monkeypatch.setenv("BRIDGE_SC_ADDRESS", sim.address)
    with Store.open(stand / "runs.db") as store:
        run_id = add_run(store)
    monkeypatch.chdir(tmp_path)  # no hardpy.toml here: the folder argument names it
    assert main(["sc-sync", str(stand)]) == 0
    with Store.open(stand / "runs.db") as store:
        assert state_of(store, run_id) == "uploaded"
    assert sim.db.report_count(run_id) == 1
    assert main(["sc-sync", str(tmp_path / "nowhere")]) == 1
    assert "nowhere" in capsys.readouterr().err
