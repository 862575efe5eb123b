"""The cloud commands' output: help on every option, one flag name per meaning, what
the server sends shown escaped, tables that fit 80 and 120 columns."""

from __future__ import annotations

import json
import time

import pytest
from cloud_support import add_run, run_bridge

from bridge.cli.main import main
from bridge.store import Store, outbox


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
    assert run_bridge(stand, "sync") == 0
    capsys.readouterr()
    assert run_bridge(stand, "cloud", "runs", "--stand-name", "Stand B", "--json") == 0
    assert [r["serial_number"] for r in json.loads(capsys.readouterr().out)] == ["SN-B"]
    assert run_bridge(stand, "cloud", "duts", "--stand", "Stand C", "--json") == 0
    assert [r["serial_number"] for r in json.loads(capsys.readouterr().out)] == ["SN-C"]


def test_a_second_sync_still_exits_1_while_a_run_is_held(stand, sim, capsys, monkeypatch):
    monkeypatch.setenv("HARDPY_SC_API_KEY", sim.api_key)
    monkeypatch.setenv("BRIDGE_SC_ADDRESS", sim.address)
    with Store.open(stand / "runs.db") as store:
        add_run(store, part_number=None)
    assert run_bridge(stand, "sync") == 1
    first = capsys.readouterr().err
    assert run_bridge(stand, "sync") == 1  # was 0: "nothing to upload"
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
    assert run_bridge(stand, "sync") == 0
    capsys.readouterr()
    for command in (["cloud", "runs"], ["cloud", "duts"], ["cloud", "run", run_id],
                    ["cloud", "runs", "--json"]):
        assert run_bridge(stand, *command) == 0, command
        out = capsys.readouterr().out
        assert "\x1b" not in out and "\x9b" not in out and "\r" not in out
        assert "SN-[/]" in out

    async def hostile(request):
        return Response("\x1b[2Jgone [/]", status_code=418)

    sim.sim.app.router.routes.insert(0, Route("/hardpy/api/v1/tested_dut", hostile))
    assert run_bridge(stand, "cloud", "duts") == 1
    err = capsys.readouterr().err
    assert "\x1b" not in err and "418" in err


def test_sync_and_its_status_escape_a_stored_server_error(stand, sim, capsys, monkeypatch):
    monkeypatch.setenv("HARDPY_SC_API_KEY", sim.api_key)
    monkeypatch.setenv("BRIDGE_SC_ADDRESS", sim.address)
    with Store.open(stand / "runs.db") as store:
        run_id = add_run(store)
        outbox.record_attempt(store, run_id, "rejected", at=time.time(),
                              error="bad report \x1b[2J [/]")
    assert run_bridge(stand, "sync", "--status") == 0
    out = capsys.readouterr().out
    assert "bad report \\x1b[2J [/]" in out and "\x1b" not in out
    assert run_bridge(stand, "sync") == 1  # a rejected run is left
    err = capsys.readouterr().err
    assert "1 rejected" in err and "\x1b" not in err and "\\x1b[2J" in err
    assert run_bridge(stand, "sync", "--status", "--json") == 0
    status = json.loads(capsys.readouterr().out)
    assert status["counts"]["rejected"] == 1 and status["last_error_run"] == run_id


def test_check_answers_in_json_both_ways(stand, sim, capsys, monkeypatch):
    assert run_bridge(stand, "sc-login", "--check", "--json") == 1
    answer = json.loads(capsys.readouterr().out)
    assert answer["ok"] is False and "not logged in" in answer["error"]
    monkeypatch.setenv("HARDPY_SC_API_KEY", sim.api_key)
    monkeypatch.setenv("BRIDGE_SC_ADDRESS", sim.address)
    assert run_bridge(stand, "sc-login", "--check", "--json") == 0
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
    assert run_bridge(stand, "sync") == 0
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
