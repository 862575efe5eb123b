"""The command line's own values are parsed with the arguments (usage error, exit 2,
naming the argument); what goes wrong later is one clear line (exit 1); a bug in a
command is a traceback, never a one-liner that hides it (main has no ValueError
catch-all)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from bridge.cli.main import main
from bridge.cli.text import shown
from bridge.recorder import RunRecorder
from bridge.store import Store
from bridge.store.writer import RunWriter


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """A real run store holding one finished run."""
    path = tmp_path / "runs.db"
    with Store.open(path) as opened:
        recorder = RunRecorder(RunWriter(opened, str(uuid.uuid4())))
        recorder.writer.start("plan", "hw", time.time(), {})
        recorder.begin_case("test_m", "m", "test_a", "case a")
        recorder.save_attempt("passed", None, final=True)
        recorder.finish("passed")
    return path


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse's usage errors
        code = exc.code if isinstance(exc.code, int) else 2
    return code, capsys.readouterr().err


@pytest.mark.parametrize("argv", [["last", "--part-number", "P"], []])
def test_report_needs_a_run_or_a_part_number_not_both(store, capsys, argv):
    code, err = _run(capsys, "--store", str(store), "report", *argv)
    assert code == 2
    assert "report: error: give a RUN, or --part-number P" in err and "not both" in err
    assert err.startswith("usage:")


def test_production_options_with_a_run_are_a_usage_error(store, capsys):
    code, err = _run(capsys, "--store", str(store), "report", "last", "--stand", "s1")
    assert code == 2 and "--stand" in err and "production view" in err


@pytest.mark.parametrize(("argv", "named"), [
    (["show", "ab\udcff"], "argument run: not UTF-8 text: ab\\udcff"),
    (["export", "\udcff"], "argument run: not UTF-8 text: \\udcff"),
    (["runs", "--serial-number", "SN\udcff"], "argument --serial-number: not UTF-8 text"),
    (["runs", "--part-number", "\udcff"], "argument --part-number: not UTF-8 text"),
    (["report", "--part-number", "P", "--stand", "\udcff"], "argument --stand: not UTF-8"),
])
def test_argument_bytes_that_are_not_utf8_are_a_usage_error_naming_it(store, capsys, argv,
                                                                       named):
    """Such bytes reach Python as lone surrogates, which SQLite refuses with a
    UnicodeEncodeError deep in the query."""
    code, err = _run(capsys, "--store", str(store), *argv)
    assert code == 2 and named in err


def test_a_stored_value_that_does_not_parse_is_one_line_naming_the_run(store, capsys):
    with sqlite3.connect(store) as conn:
        run_id = conn.execute("SELECT id FROM runs").fetchone()[0]
        conn.execute("UPDATE runs SET stand_info = '{not json'")
    conn.close()
    for command in ("show", "export", "report"):
        code, err = _run(capsys, "--store", str(store), command, "last")
        assert code == 1 and "Traceback" not in err
        assert err.startswith(f"{command}: error: {store}: run {run_id} holds a value that "
                              "cannot be read")


def test_an_address_python_cannot_split_is_one_clear_line(tmp_path, capsys):
    config = tmp_path / "hardpy.toml"
    config.write_text("")
    code, err = _run(capsys, "--config", str(config), "sc-login", "http://[::1", "--check")
    assert code == 1 and "Traceback" not in err
    assert "sc-login: error: bad StandCloud address 'http://[::1'" in err


def test_a_bug_in_a_command_is_a_traceback_not_a_one_line_error(store, monkeypatch):
    import bridge.cli.show

    def broken(args: object, **kwargs: object) -> None:
        raise ValueError("a bug")

    monkeypatch.setattr(bridge.cli.show, "_one_run", broken)  # inside the command
    with pytest.raises(ValueError, match="a bug"):
        main(["--store", str(store), "show", "last"])


def test_an_output_path_that_is_not_utf8_is_written_and_printed_escaped(store, tmp_path):
    """Python's stdout is strict UTF-8: printing the path back used to fail after the
    file was written."""
    target = os.fsencode(tmp_path) + b"/\xff.json"
    result = subprocess.run(
        [sys.executable, "-m", "bridge", "--store", os.fsencode(store), "export", "last", "-o",
         target], capture_output=True, env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        timeout=120)
    assert result.returncode == 0, result.stderr
    assert os.path.exists(target)
    assert b"written to " in result.stdout and b"\\udcff.json" in result.stdout


def test_lone_surrogates_from_outside_are_escaped_for_the_terminal():
    """A server's JSON can hold "\\ud800"; a UTF-8 terminal cannot be written one."""
    assert shown("run \ud800 \udcff") == "run \\ud800 \\udcff"
    assert shown("Prüfstand ✓") == "Prüfstand ✓"


@pytest.mark.parametrize(("argv", "named"), [
    (["cloud-sim", "--port", "70000"], "argument --port: 70000 is outside 0 to 65535"),
    (["cloud-sim", "--port", "-1"], "argument --port: -1 is outside 0 to 65535"),
    (["cloud-sim", "--interval", "-1"], "argument --interval: -1 is not a finite number"),
    (["sc-login", "--timeout", "nan"], "argument --timeout: nan is not a finite number"),
    (["sc-login", "--timeout", "inf"], "argument --timeout: inf is not a finite number"),
    (["sc-login", "--timeout", "soon"], "argument --timeout: not a number of seconds: 'soon'"),
    (["sync", "--parallel", "0"], "argument --parallel: 0 is outside 1 to 32"),
    (["cloud", "runs", "--limit", "-1"], "argument --limit: -1 is outside 1 to 1000000"),
])
def test_ports_and_time_spans_are_checked_with_the_arguments(capsys, argv, named):
    """--port 70000 used to end in bind()'s OverflowError traceback; a negative interval
    reached time.sleep in every client; --timeout inf never gave up."""
    code, err = _run(capsys, *argv)
    assert code == 2 and named in err


@pytest.mark.parametrize(("argv", "named"), [
    (["--config", "a\0b.toml", "runs"], "argument --config: 'a\\x00b.toml' holds a NUL byte"),
    (["--store", "s\0.db", "runs"], "argument --store: 's\\x00.db' holds a NUL byte"),
    (["export", "last", "-o", "x\0.json"], "argument -o/--output: 'x\\x00.json' holds a NUL"),
    (["store", "recover", "x\0.db"], "argument output: 'x\\x00.db' holds a NUL byte"),
    (["init", "a\0b"], "argument folder: 'a\\x00b' holds a NUL byte"),
])
def test_a_path_with_a_nul_byte_is_a_usage_error(capsys, argv, named):
    """No shell can pass one (argv is C strings), but main(argv) in-process can; open()
    raised ValueError in the command."""
    code, err = _run(capsys, *argv)
    assert code == 2 and named in err
