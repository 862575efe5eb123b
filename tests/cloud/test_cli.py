"""The StandCloud commands, in process and as real processes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from cloud_browser import login_in_a_process, login_in_process
from cloud_support import add_run, state_of

from bridge.cli.main import main
from bridge.cloud.sim import SimConfig, SimServer
from bridge.store import Store, outbox

BRIDGE = [sys.executable, "-m", "bridge.cli.main"]


@pytest.fixture
def stand(tmp_path: Path, sim) -> Path:
    """A stand folder whose hardpy.toml points at the simulator."""
    folder = tmp_path / "stand"
    folder.mkdir()
    (folder / "hardpy.toml").write_text(
        f'[stand_cloud]\naddress = "{sim.address}"\n[store]\npath = "runs.db"\n'
    )
    return folder


def _run(stand: Path, *argv: str) -> int:
    return main(["--config", str(stand / "hardpy.toml"), *argv])


@pytest.fixture(scope="module")
def logged_in(tmp_path_factory: pytest.TempPathFactory):
    """One `bridge sc-login` process, its link approved by the test's browser; several
    tests read what it printed and saved (a process and a login cost seconds)."""
    sim = SimServer(SimConfig(data_dir=tmp_path_factory.mktemp("sim"), interval=0.05))
    with sim:
        folder = tmp_path_factory.mktemp("stand")
        (folder / "hardpy.toml").write_text(
            f'[stand_cloud]\naddress = "{sim.address}"\n[store]\npath = "runs.db"\n')
        tokens = tmp_path_factory.mktemp("tokens")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HARDPY_SC", "BRIDGE_"))}
        env.update(BRIDGE_TOKEN_DIR=str(tokens), BRIDGE_TOKEN_STORE="file")
        done = login_in_a_process(
            [*BRIDGE, "--config", str(folder / "hardpy.toml"), "sc-login", sim.address], env=env)
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
    assert _run(folder, "sc-login", "--check", sim.address) == 0
    out = capsys.readouterr().out
    assert out.startswith("OK: logged in") and "token store: file" in out
    assert _run(folder, "sc-logout", sim.address) == 0
    assert "removed the tokens" in capsys.readouterr().out
    assert _run(folder, "sc-login", "--check", sim.address) == 1
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
    assert _run(stand, "sc-login", "--check") == 0
    assert "HARDPY_SC_API_KEY" in capsys.readouterr().out


def test_check_fails_when_the_service_is_down(stand, sim, capsys, monkeypatch):
    monkeypatch.setenv("HARDPY_SC_API_KEY", sim.api_key)
    monkeypatch.setenv("BRIDGE_SC_ADDRESS", sim.address)
    sim.stop()
    assert _run(stand, "sc-login", "--check") == 1
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
    assert _run(stand, "sync") == 1  # one run held: not everything went up
    err = capsys.readouterr().err
    assert "3 uploaded" in err and "set_dut_part_number" in err
    assert _run(stand, "sync", "--status") == 0
    out = capsys.readouterr().out
    assert "uploaded" in out and "set_dut_part_number" in out
    with Store.open(stand / "runs.db") as store:
        assert [state_of(store, r) for r in runs] == ["uploaded"] * 3
        assert state_of(store, held) == "held"
    assert _run(stand, "cloud", "runs", "--json") == 0
    listed = json.loads(capsys.readouterr().out)
    assert sorted(r["test_run_id"] for r in listed) == sorted(runs)
    assert _run(stand, "cloud", "run", runs[0], "--json") == 0
    assert json.loads(capsys.readouterr().out)["status"] == "PASS"
    assert _run(stand, "cloud", "duts") == 0
    assert "SN-1" in capsys.readouterr().out
    assert _run(stand, "cloud", "runs") == 0
    assert "StandCloud runs (3)" in capsys.readouterr().out


def test_sync_without_login_fails_with_a_one_line_reason(stand, sim, capsys):
    with Store.open(stand / "runs.db") as store:
        add_run(store)
    assert _run(stand, "sync") == 1
    assert "sc-login" in capsys.readouterr().err


def test_cloud_run_unknown_id_fails(stand, sim, capsys, monkeypatch):
    monkeypatch.setenv("HARDPY_SC_API_KEY", sim.api_key)
    monkeypatch.setenv("BRIDGE_SC_ADDRESS", sim.address)
    assert _run(stand, "cloud", "run", "nope") == 1
    assert "404" in capsys.readouterr().err


def test_malformed_json_answer_to_a_read_is_a_clear_error(stand, sim, capsys, monkeypatch):
    from starlette.responses import Response
    from starlette.routing import Route

    async def broken(request):
        return Response("{not json", media_type="application/json")

    sim.sim.app.router.routes.insert(0, Route("/hardpy/api/v1/tested_dut", broken))
    monkeypatch.setenv("HARDPY_SC_API_KEY", sim.api_key)
    monkeypatch.setenv("BRIDGE_SC_ADDRESS", sim.address)
    assert _run(stand, "cloud", "duts") == 1
    assert "malformed answer" in capsys.readouterr().err


def test_kill_9_halfway_through_sync_loses_and_duplicates_nothing(stand, sim, monkeypatch):
    monkeypatch.setenv("HARDPY_SC_API_KEY", sim.api_key)
    monkeypatch.setenv("BRIDGE_SC_ADDRESS", sim.address)
    with Store.open(stand / "runs.db") as store:
        runs = [add_run(store, serial=f"SN-{i}") for i in range(200)]
    sim.faults.delay = 0.05  # 4 parallel uploads: at most ~80 runs/s, 2.5 s for all 200
    proc = subprocess.Popen(
        [*BRIDGE, "--config", str(stand / "hardpy.toml"), "sync"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120  # the process may take seconds to start when busy
    while sim.db.report_count() < 30 and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    stored_at_kill = sim.db.report_count()
    assert 30 <= stored_at_kill < 200
    sim.faults.delay = 0
    assert _run(stand, "sync") == 0
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

    proc = subprocess.Popen(
        [*BRIDGE, "cloud-sim", "--port", "0", "--https", "--data-dir", str(tmp_path / "d")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
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
            proc.communicate()


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
    assert _run(stand, "sc-logout") == 0
    assert "keyring" in capsys.readouterr().out
    assert not backend.data and not file_store.path.exists()


def test_qr_code_of_the_link_is_square_with_finder_patterns():
    from bridge.cloud.qr import qr_lines

    lines = qr_lines("https://sc.example/auth/device?user_code=ABCD-EFGH")
    assert len({len(line) for line in lines}) == 1
    assert lines[1].strip().startswith("█▀▀▀▀▀█") and lines[1].rstrip().endswith("█▀▀▀▀▀█")
    assert len(lines) * 2 in (len(lines[0]), len(lines[0]) + 1)  # square in modules


# -- the command line itself -----------------------------------------------------------
def _walk(parser, path=()):
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _walk(sub, (*path, name))
        elif not isinstance(action, argparse._HelpAction):
            yield path, action


def test_every_option_of_every_subcommand_has_help():
    from bridge.cli.main import build_parser

    walked = list(_walk(build_parser()))
    assert len(walked) > 30 and {p for p, _ in walked} >= {("cloud", "runs"), ("cloud-sim",)}
    missing = [f"{' '.join(path)} {'/'.join(a.option_strings) or a.dest}"
               for path, a in walked if not a.help]
    assert missing == []


def test_one_flag_name_per_meaning_old_names_hidden(stand, sim, capsys, monkeypatch):
    from bridge.cli.main import build_parser

    assert build_parser().parse_args(["cloud", "runs", "--stand", "X"]).stand_name == "X"
    monkeypatch.setenv("COLUMNS", "120")
    for argv, listed, unlisted in ((["cloud", "runs"], "--stand-name", "--stand "),
                                   (["runs"], "--serial-number", "--serial ")):
        with pytest.raises(SystemExit) as exit_:
            main([*argv, "--help"])
        out = capsys.readouterr().out
        assert exit_.value.code == 0 and listed in out and unlisted not in out  # ... unlisted
    monkeypatch.setenv("HARDPY_SC_API_KEY", sim.api_key)
    monkeypatch.setenv("BRIDGE_SC_ADDRESS", sim.address)
    with Store.open(stand / "runs.db") as store:
        add_run(store, stand="Stand B", serial="SN-B")
        add_run(store, stand="Stand C", serial="SN-C")
    assert _run(stand, "sync") == 0
    capsys.readouterr()
    assert _run(stand, "cloud", "runs", "--stand-name", "Stand B", "--json") == 0
    assert [r["serial_number"] for r in json.loads(capsys.readouterr().out)] == ["SN-B"]
    assert _run(stand, "cloud", "duts", "--stand", "Stand C", "--json") == 0
    assert [r["serial_number"] for r in json.loads(capsys.readouterr().out)] == ["SN-C"]


def test_a_second_sync_still_exits_1_while_a_run_is_held(stand, sim, capsys, monkeypatch):
    monkeypatch.setenv("HARDPY_SC_API_KEY", sim.api_key)
    monkeypatch.setenv("BRIDGE_SC_ADDRESS", sim.address)
    with Store.open(stand / "runs.db") as store:
        add_run(store, part_number=None)
    assert _run(stand, "sync") == 1
    first = capsys.readouterr().err
    assert _run(stand, "sync") == 1  # was 0: "nothing to upload"
    second = capsys.readouterr().err
    for err in (first, second):
        assert "held" in err and "hardpy.set_dut_part_number(...)" in err
    assert "--retry-rejected" in second


HOSTILE = "SN-[/]\x1b[2J\x9b31m\r"


def test_server_data_and_error_bodies_are_escaped(stand, sim, capsys, monkeypatch):
    from starlette.responses import Response
    from starlette.routing import Route

    monkeypatch.setenv("HARDPY_SC_API_KEY", sim.api_key)
    monkeypatch.setenv("BRIDGE_SC_ADDRESS", sim.address)
    with Store.open(stand / "runs.db") as store:
        run_id = add_run(store, serial=HOSTILE, stand=HOSTILE, part_number=HOSTILE)
    assert _run(stand, "sync") == 0
    capsys.readouterr()
    for command in (["cloud", "runs"], ["cloud", "duts"], ["cloud", "run", run_id],
                    ["cloud", "runs", "--json"]):
        assert _run(stand, *command) == 0, command
        out = capsys.readouterr().out
        assert "\x1b" not in out and "\x9b" not in out and "\r" not in out
        assert "SN-[/]" in out

    async def hostile(request):
        return Response("\x1b[2Jgone [/]", status_code=418)

    sim.sim.app.router.routes.insert(0, Route("/hardpy/api/v1/tested_dut", hostile))
    assert _run(stand, "cloud", "duts") == 1
    err = capsys.readouterr().err
    assert "\x1b" not in err and "418" in err


def test_sync_and_its_status_escape_a_stored_server_error(stand, sim, capsys, monkeypatch):
    monkeypatch.setenv("HARDPY_SC_API_KEY", sim.api_key)
    monkeypatch.setenv("BRIDGE_SC_ADDRESS", sim.address)
    with Store.open(stand / "runs.db") as store:
        run_id = add_run(store)
        outbox.record_attempt(store, run_id, "rejected", at=time.time(),
                              error="bad report \x1b[2J [/]")
    assert _run(stand, "sync", "--status") == 0
    out = capsys.readouterr().out
    assert "bad report \\x1b[2J [/]" in out and "\x1b" not in out
    assert _run(stand, "sync") == 1  # a rejected run is left
    err = capsys.readouterr().err
    assert "1 rejected" in err and "\x1b" not in err and "\\x1b[2J" in err
    assert _run(stand, "sync", "--status", "--json") == 0
    status = json.loads(capsys.readouterr().out)
    assert status["counts"]["rejected"] == 1 and status["last_error_run"] == run_id


def test_check_answers_in_json_both_ways(stand, sim, capsys, monkeypatch):
    assert _run(stand, "sc-login", "--check", "--json") == 1
    answer = json.loads(capsys.readouterr().out)
    assert answer["ok"] is False and "not logged in" in answer["error"]
    monkeypatch.setenv("HARDPY_SC_API_KEY", sim.api_key)
    monkeypatch.setenv("BRIDGE_SC_ADDRESS", sim.address)
    assert _run(stand, "sc-login", "--check", "--json") == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["ok"] is True and answer["credentials"] == "api_key"
    assert sim.api_key not in json.dumps(answer)


@pytest.mark.parametrize("width", [80, 120])
def test_cloud_tables_fit_80_and_120_columns(stand, sim, monkeypatch, width):
    import io

    from rich.console import Console

    from bridge.cli.cloud_reads import DUT_COLUMNS, RUN_COLUMNS, cloud_table

    monkeypatch.setenv("HARDPY_SC_API_KEY", sim.api_key)
    monkeypatch.setenv("BRIDGE_SC_ADDRESS", sim.address)
    with Store.open(stand / "runs.db") as store:
        run_id = add_run(store, serial="SB100-2026-000123", part_number="SB-100-REV-C",
                         stand="Production stand 4, line B")
    assert _run(stand, "sync") == 0
    from bridge.cli.cloud_reads import _reader
    from bridge.cli.main import build_parser

    reader = _reader(build_parser().parse_args(["--config", str(stand / "hardpy.toml"),
                                                "cloud", "runs"]))
    with reader.client:
        runs, duts = reader.runs(), reader.duts()
    texts = []
    for rows, columns, key in ((runs, RUN_COLUMNS, run_id), (duts, DUT_COLUMNS, "SB-100-REV-C")):
        console = Console(width=width, record=True, file=io.StringIO())
        console.print(cloud_table(console, "t", rows, columns))
        texts.append(console.export_text())
        assert max(len(line) for line in texts[-1].splitlines()) <= width
        (line,) = [line for line in texts[-1].splitlines() if key in line]  # one line a row
        assert "SB100-2026-000123" in line and "PASS" in line
        assert "s" not in texts[-1].splitlines()[2].split()  # no column headed "s"
    if width == 120:
        assert "duration" in texts[0].splitlines()[2].split()


def test_autosync_shows_a_rejection_body_escaped(tmp_path, sim, monkeypatch):
    from plan_support import Plan
    from starlette.responses import Response
    from starlette.routing import Route

    async def hostile(request):
        return Response("\x1b[2Jno [/] thanks", status_code=422)

    sim.sim.app.router.routes.insert(0, Route("/hardpy/api/v1/test_report", hostile,
                                              methods=["POST"]))
    monkeypatch.setenv("HARDPY_SC_API_KEY", sim.api_key)
    monkeypatch.setenv("BRIDGE_SC_ADDRESS", sim.address)
    plan = Plan(tmp_path / "plan")
    plan.write("hardpy.toml", f'[stand_cloud]\naddress = "{sim.address}"\nautosync = true\n')
    plan.write("test_plan.py", "import hardpy\n\ndef test_one():\n"
                               "    hardpy.set_dut_part_number('PN')\n"
                               "    hardpy.set_stand_name('A')\n")
    result = plan.pytest()
    assert "1 rejected" in result.stdout and "\\x1b[2Jno [/] thanks" in result.stdout
    assert "\x1b" not in result.stdout


def test_the_login_link_and_code_from_the_server_are_escaped(capsys):
    from bridge.cli.cloud_login import _show_link

    _show_link({"verification_uri": "https://sc.example/device\x1b[2J",
                "user_code": "AB\x9bCD-EFGH"})
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x9b" not in out
    assert "device\\x1b[2J" in out and "AB\\x9bCD-EFGH" in out
