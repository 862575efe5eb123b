"""The StandCloud commands, in process and as real processes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from cloud_browser import login_in_a_process, login_in_process
from cloud_support import add_run, run_bridge, state_of
from plan_support import BRIDGE, bridge_piped, own_python

from bridge.cli.main import main
from bridge.cloud.sim import SimConfig, SimServer
from bridge.store import Store, outbox


@pytest.fixture(scope="module")
def logged_in(tmp_path_factory: pytest.TempPathFactory):
    """One `bridge sc-login` process, its link approved by the test's browser; several
    tests read what it printed and saved (a process and a login cost seconds)."""
    sim = SimServer(SimConfig(data_dir=tmp_path_factory.mktemp("sim"), interval=0.01))
    with sim:
        folder = tmp_path_factory.mktemp("stand")
        (folder / "hardpy.toml").write_text(
            f'[stand_cloud]\naddress = "{sim.address}"\n[store]\npath = "runs.db"\n')
        tokens = tmp_path_factory.mktemp("tokens")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HARDPY_SC", "BRIDGE_"))}
        env.update(BRIDGE_TOKEN_DIR=str(tokens), BRIDGE_TOKEN_STORE="file")
        done = login_in_a_process(
            ["--config", str(folder / "hardpy.toml"), "sc-login", sim.address], env=env)
        yield sim, folder, tokens, done


def test_sc_login_in_a_process_shows_the_link_as_qr_and_saves_the_tokens(logged_in):
    _, _, tokens, done = logged_in
    assert done.returncode == 0, done.stderr
    assert "Registration completed" in done.stdout
    assert "\u2580" in done.stdout or "\u2588" in done.stdout  # the QR code
    assert list(tokens.glob("*.json"))


def test_tokens_never_appear_in_output(logged_in):
    _, _, tokens, done = logged_in
    saved = json.loads(next(tokens.glob("*.json")).read_text())
    token = next(iter(saved.values()))
    for secret in (token["access_token"], token["refresh_token"]):
        assert secret not in done.stdout and secret not in done.stderr


def test_the_saved_login_checks_then_logout_removes_it(logged_in, capsys, _isolated_tokens):
    sim, folder, tokens, _ = logged_in
    shutil.copytree(tokens, _isolated_tokens)  # this test's copy of the process's login
    assert run_bridge(folder, "sc-login", "--check", sim.address) == 0
    out = capsys.readouterr().out
    assert out.startswith("OK: logged in") and "token store: file" in out
    assert run_bridge(folder, "sc-logout", sim.address) == 0
    assert "removed the tokens" in capsys.readouterr().out
    assert run_bridge(folder, "sc-login", "--check", sim.address) == 1
    assert "not logged in" in capsys.readouterr().err
    assert not list(_isolated_tokens.glob("*"))  # no token left on disk


def test_denied_login_exits_non_zero(stand, sim, capsys, monkeypatch):
    code = login_in_process(monkeypatch, ["--config", str(stand / "hardpy.toml"), "sc-login"],
                            action="deny")
    captured = capsys.readouterr()
    assert "/auth/device?user_code=" in captured.out  # the link it showed was the one denied
    assert code == 1 and "denied" in captured.err
    assert "Registration completed" not in captured.out


def test_check_with_api_key_from_environment(stand, sim, capsys, monkeypatch):
    monkeypatch.setenv("HARDPY_SC_API_KEY", sim.api_key)
    monkeypatch.setenv("BRIDGE_SC_ADDRESS", sim.address)
    assert run_bridge(stand, "sc-login", "--check") == 0
    assert "HARDPY_SC_API_KEY" in capsys.readouterr().out


def test_check_fails_when_the_service_is_down(stand, sim, capsys, monkeypatch):
    monkeypatch.setenv("HARDPY_SC_API_KEY", sim.api_key)
    monkeypatch.setenv("BRIDGE_SC_ADDRESS", sim.address)
    sim.stop()
    assert run_bridge(stand, "sc-login", "--check") == 1
    assert "cannot reach StandCloud" in capsys.readouterr().err


def test_verify_false_warns_on_every_command(tmp_path, capsys):
    (tmp_path / "hardpy.toml").write_text(
        '[stand_cloud]\naddress = "127.0.0.1:9"\n[bridge.stand_cloud]\nverify = false\n'
    )
    main(["--config", str(tmp_path / "hardpy.toml"), "sc-logout"])
    assert "verification is OFF" in capsys.readouterr().err


def test_sync_uploads_and_status_counts(stand, sim, capsys, monkeypatch):
    monkeypatch.setenv("HARDPY_SC_API_KEY", sim.api_key)
    monkeypatch.setenv("BRIDGE_SC_ADDRESS", sim.address)
    with Store.open(stand / "runs.db") as store:
        runs = [add_run(store, serial=f"SN-{i}") for i in range(3)]
        held = add_run(store, part_number=None)
    assert run_bridge(stand, "sync") == 1  # one run held: not everything went up
    err = capsys.readouterr().err
    assert "3 uploaded" in err and "set_dut_part_number" in err
    assert run_bridge(stand, "sync", "--status") == 0
    out = capsys.readouterr().out
    assert "uploaded" in out and "set_dut_part_number" in out
    with Store.open(stand / "runs.db") as store:
        assert [state_of(store, r) for r in runs] == ["uploaded"] * 3
        assert state_of(store, held) == "held"
    assert run_bridge(stand, "cloud", "runs", "--json") == 0
    listed = json.loads(capsys.readouterr().out)
    assert sorted(r["test_run_id"] for r in listed) == sorted(runs)
    assert run_bridge(stand, "cloud", "run", runs[0], "--json") == 0
    assert json.loads(capsys.readouterr().out)["status"] == "PASS"
    assert run_bridge(stand, "cloud", "duts") == 0
    assert "SN-1" in capsys.readouterr().out
    assert run_bridge(stand, "cloud", "runs") == 0
    assert "StandCloud runs (3)" in capsys.readouterr().out


def test_sync_without_login_fails_with_a_one_line_reason(stand, sim, capsys):
    with Store.open(stand / "runs.db") as store:
        add_run(store)
    assert run_bridge(stand, "sync") == 1
    assert "sc-login" in capsys.readouterr().err


def test_cloud_run_unknown_id_fails(stand, sim, capsys, monkeypatch):
    monkeypatch.setenv("HARDPY_SC_API_KEY", sim.api_key)
    monkeypatch.setenv("BRIDGE_SC_ADDRESS", sim.address)
    assert run_bridge(stand, "cloud", "run", "nope") == 1
    assert "404" in capsys.readouterr().err


def test_malformed_json_answer_to_a_read_is_a_clear_error(stand, sim, capsys, monkeypatch):
    from starlette.responses import Response
    from starlette.routing import Route

    async def broken(request):
        return Response("{not json", media_type="application/json")

    sim.sim.app.router.routes.insert(0, Route("/hardpy/api/v1/tested_dut", broken))
    monkeypatch.setenv("HARDPY_SC_API_KEY", sim.api_key)
    monkeypatch.setenv("BRIDGE_SC_ADDRESS", sim.address)
    assert run_bridge(stand, "cloud", "duts") == 1
    assert "malformed answer" in capsys.readouterr().err


def test_kill_9_halfway_through_sync_loses_and_duplicates_nothing(stand, sim, monkeypatch):
    monkeypatch.setenv("HARDPY_SC_API_KEY", sim.api_key)
    monkeypatch.setenv("BRIDGE_SC_ADDRESS", sim.address)
    with Store.open(stand / "runs.db") as store:
        runs = [add_run(store, serial=f"SN-{i}") for i in range(200)]
    store_report = sim.db.store_report

    def store_then_hold(*args: Any) -> Any:
        """Once 30 are stored every later answer waits: the kill comes halfway through
        however slowly the test notices (no more than the 4 in flight get stored)."""
        stored = store_report(*args)
        if sim.db.report_count() >= 30:
            sim.faults.delay = 60  # ended when the simulator closes
        return stored

    monkeypatch.setattr(sim.db, "store_report", store_then_hold)
    proc = own_python().start([*BRIDGE, "--config", str(stand / "hardpy.toml"),
                               "sync"], cwd=Path.cwd(), env=dict(os.environ))
    deadline = time.monotonic() + 120  # the process may take seconds to start when busy
    while sim.db.report_count() < 30 and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(10)  # its output files closed too
    stored_at_kill = sim.db.report_count()
    assert 30 <= stored_at_kill < 200
    monkeypatch.setattr(sim.db, "store_report", store_report)  # no more holding
    sim.faults.delay = 0
    assert run_bridge(stand, "sync") == 0
    with Store.open(stand / "runs.db") as store:
        assert outbox.status(store.conn).counts["uploaded"] == 200
    assert sim.db.report_count() == 200
    assert all(sim.db.report_count(r) == 1 for r in runs)


def test_cloud_sim_user_without_a_password_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["cloud-sim", "--user", "demo"])
    assert exit_.value.code == 2
    assert "argument --user: 'demo' is not LOGIN:PASSWORD" in capsys.readouterr().err


def test_cloud_sim_command_prints_address_user_and_key_serves_and_stops_on_ctrl_c(tmp_path):
    import ssl

    import httpx

    proc = bridge_piped("cloud-sim", "--port", "0", "--https", "--data-dir", str(tmp_path / "d"),
                        cwd=tmp_path)
    lines = []
    watchdog = threading.Timer(60, proc.kill)  # a silent process never hangs the test
    watchdog.start()
    try:
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("Log in with"):
                break
        text = "".join(lines)
        assert "StandCloud simulator at https://127.0.0.1:" in text
        assert "sign-in: demo / demo-password" in text and "API key: sc_" in text
        assert (tmp_path / "d" / "ca.pem").exists()
        # Ctrl-C once it serves (the socket listens from the first line on, uvicorn's
        # handlers come later): the printed address answers, with the printed CA
        url = text.split("StandCloud simulator at ", 1)[1].split()[0]
        trust = ssl.create_default_context(cafile=str(tmp_path / "d" / "ca.pem"))
        with httpx.Client(verify=trust, timeout=30) as http:
            assert http.get(f"{url}/hardpy/api/v1/healthcheck").status_code == 401
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
        assert "StandCloud simulator stopped" in out and proc.returncode == 0
    finally:
        watchdog.cancel()
        if proc.poll() is None:
            proc.kill()
            proc.communicate(30)


def test_logout_removes_the_login_from_keyring_and_file(stand, sim, capsys, monkeypatch):
    from cloud_support import TOKEN, MemoryKeyring

    from bridge.cloud import tokens
    from bridge.cloud.urls import Endpoints

    backend = MemoryKeyring()
    monkeypatch.delenv("BRIDGE_TOKEN_STORE")
    monkeypatch.setattr(tokens, "working_keyring", lambda: backend)
    base = Endpoints.from_address(sim.address).base
    keyring_store, file_store = tokens.token_stores()
    keyring_store.save(base, TOKEN)
    file_store.save(base, TOKEN)
    assert run_bridge(stand, "sc-logout") == 0
    assert "keyring" in capsys.readouterr().out
    assert not backend.data and not file_store.path.exists()
