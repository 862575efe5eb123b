"""The bridge command: runs, show, export; failures exit non-zero with one line."""

import io
import json
import sqlite3

import pytest
from plan_support import Plan
from rich.console import Console

from bridge.cli.runs import runs_table
from bridge.cli.show import run_view
from bridge.report import build_report
from bridge.store import Store
from bridge.store.queries import RunFilter, case_rows, list_runs, resolve_run

PLAN = """
import bridge
from bridge import NumericMeasurement

def test_rail():
    bridge.set_dut_part_number("{part}")
    bridge.set_dut_serial_number("{serial}")
    bridge.set_stand_name("Stand A")
    meas = NumericMeasurement(value={value}, name="rail", unit="V", operation="gele",
                              lower_limit=4.9, upper_limit=5.1)
    bridge.set_case_measurement(meas)
    assert meas.result, "rail out of limits"  # the plan's assert decides, as in HardPy
"""


@pytest.fixture(scope="module")
def stand(tmp_path_factory):
    stand = Plan(tmp_path_factory.mktemp("cli"))
    stand.write("hardpy.toml", "")
    for part, serial, value in (("PN-1", "SN-1", 5.0), ("PN-1", "SN-2", 5.5),
                                ("PN-2", "SN-3", 5.0)):
        stand.write("test_plan.py", PLAN.format(part=part, serial=serial, value=value))
        stand.pytest()
    return stand


def _json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


def test_runs_lists_newest_first_and_filters(stand):
    rows = _json_lines(stand.bridge("runs", "--json").stdout)
    assert [r["dut_serial_number"] for r in rows] == ["SN-3", "SN-2", "SN-1"]
    assert [r["dut_serial_number"] for r in _json_lines(
        stand.bridge("runs", "--json", "--part-number", "PN-1", "--status", "failed").stdout
    )] == ["SN-2"]
    assert _json_lines(stand.bridge("runs", "--json", "--serial-number", "SN-1", "--since",
                                    "1h").stdout)[0]["cases"] == 1
    assert _json_lines(stand.bridge("runs", "--json", "--serial", "SN-2").stdout)[0][
        "dut_serial_number"] == "SN-2"  # the older name still works


def test_runs_table_is_readable(stand):
    result = stand.bridge("runs")
    assert result.returncode == 0
    assert "PN-2" in result.stdout and "failed" in result.stdout


def test_show_prints_measurements_with_limits_and_verdicts(stand):
    failed = _json_lines(stand.bridge("runs", "--json", "--status", "failed").stdout)[0]
    result = stand.bridge("show", failed["id"][:6])
    assert result.returncode == 0, result.stderr
    assert "5.5 V" in result.stdout and "gele [4.9, 5.1]" in result.stdout
    assert "FAIL" in result.stdout


def test_export_writes_the_report_to_a_file_and_says_where(stand):
    target = stand.root / "out" / "report.json"
    target.parent.mkdir()
    result = stand.bridge("export", "last", "-o", str(target))
    assert result.returncode == 0
    assert json.loads(target.read_text())["dut"]["serial_number"] == "SN-3"
    assert str(target) in result.stdout


def test_show_json_gives_cases_measurements_and_verdicts(stand):
    shown = json.loads(stand.bridge("show", "last", "--json").stdout)
    failed = json.loads(stand.bridge("show", shown["id"][:8], "--json").stdout)
    assert shown["dut"] == {"part_number": "PN-2", "serial_number": "SN-3"}
    (case,) = failed["cases"]
    assert case["status"] == "passed" and case["measurements"][0]["result"] is True
    assert case["measurements"][0]["lower_limit"] == 4.9


def test_store_option_overrides_the_configuration(stand, tmp_path):
    result = Plan(tmp_path).bridge("--store", str(stand.store_path), "runs", "--json")
    assert len(result.stdout.splitlines()) == 3


@pytest.mark.parametrize(("args", "reason"), [
    (["show", "nope"], "no run 'nope'"),
    (["export", ""], "ambiguous"),
])
def test_failures_exit_non_zero_with_one_line(stand, args, reason):
    result = stand.bridge(*args)
    assert result.returncode == 1
    assert reason in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_missing_store_is_an_error_not_a_new_file(tmp_path):
    empty = Plan(tmp_path / "empty")
    empty.write("hardpy.toml", "")
    result = empty.bridge("runs")
    assert result.returncode == 1
    assert "no run store here" in result.stderr
    assert not (empty.root / ".bridge").exists()


# -- text from outside, tables at 80 and 120 columns -----------------------------------
HOSTILE = "SB-[/]\x1b[2J\x9b31m\r\u202e"  # markup, clear screen, C1 CSI, CR, bidi override

ODD_PLAN = """
import bridge
from bridge import NumericMeasurement

def test_rail_voltage_under_full_load():
    bridge.set_dut_part_number("SB-100-REV-C")
    bridge.set_dut_serial_number("SB100-2026-000123")
    bridge.set_stand_name("Production stand 4, line B, building 2")
    bridge.set_instrument(name="psu", part_number="DP832", serial_number="DP8A0001",
                          revision="00.01.16", comment="TCPIP::192.168.1.50::INSTR")
    bridge.set_case_measurement(NumericMeasurement(
        value=5.5123456, name="5 V rail at 2 A load, after 10 s settling", unit="V",
        operation="gele", lower_limit=4.9, upper_limit=5.1))
    assert False, "rail out of range"

def test_idle_current():
    bridge.set_case_measurement(NumericMeasurement(value=0.12, name="idle current",
                                unit="A", operation="le", comparison_value=0.2))
"""


@pytest.fixture(scope="module")
def odd_stand(tmp_path_factory):
    """A failing run with long names, then stored text made hostile (another writer, an
    older version or a DUT could leave any of it)."""
    stand = Plan(tmp_path_factory.mktemp("odd"))
    stand.write("hardpy.toml", 'tests_name = "Sample board final test, revision C"\n')
    stand.write("test_plan.py", ODD_PLAN)
    stand.first_run = stand.pytest()
    assert stand.first_run.returncode == 1
    stand.write("test_plan.py", ODD_PLAN.replace("5.5123456", "5.0"))
    assert stand.pytest().returncode == 1  # a second run, made hostile below
    with sqlite3.connect(stand.store_path) as conn:
        (run_id,) = conn.execute(
            "SELECT id FROM runs ORDER BY start_time DESC LIMIT 1").fetchone()
        conn.execute("UPDATE runs SET dut_serial_number = ?, stand_name = ?,"
                     " dut_part_number = ? WHERE id = ?", (HOSTILE, HOSTILE, HOSTILE, run_id))
        conn.execute("UPDATE instruments SET name = ?, serial_number = ?, revision = ?"
                     " WHERE run_id = ?", (HOSTILE, HOSTILE, HOSTILE, run_id))
        conn.execute("UPDATE measurements SET unit = ?, name = ? WHERE case_row IN"
                     " (SELECT id FROM cases WHERE run_id = ?)", (HOSTILE, HOSTILE, run_id))
        conn.execute("UPDATE cases SET assertion_msg = ?, name = ? WHERE run_id = ?",
                     (HOSTILE, HOSTILE, run_id))
    return stand


def _no_raw_control(text: str) -> None:
    for raw in ("\x1b", "\x9b", "\r", "\u202e"):
        assert raw not in text


@pytest.mark.parametrize("command", [("runs",), ("show", "last"), ("show", "last", "--json"),
                                     ("export", "last"), ("runs", "--json")])
def test_stored_text_reaches_the_terminal_escaped_never_as_markup(odd_stand, command):
    result = odd_stand.bridge(*command)
    assert result.returncode == 0, result.stderr
    _no_raw_control(result.stdout)
    if "--json" not in command and "export" not in command:
        assert "SB-[/]\\x1b[2J\\x9b31m" in result.stdout


def _render(renderables, width: int) -> str:
    console = Console(width=width, record=True, file=io.StringIO())
    for renderable in renderables:
        console.print(renderable)
    return console.export_text()


def _store_rows(stand: Plan):
    with Store.open(stand.store_path, create=False) as store:
        rows = list_runs(store, RunFilter())
        run_id = rows[-1]["id"]  # the first run: failing, text as the plan wrote it
        report = build_report(store.conn, run_id)
        return rows, report, list(case_rows(store, resolve_run(store, run_id)))


@pytest.mark.parametrize("width", [80, 120])
def test_runs_table_keeps_id_prefix_status_and_serial_whole(odd_stand, width):
    rows, _, _ = _store_rows(odd_stand)
    console = Console(width=width, file=io.StringIO())
    text = _render([runs_table(console, rows)], width)
    assert max(len(line) for line in text.splitlines()) <= width
    lines = [line for line in text.splitlines() if line.lstrip().startswith(rows[-1]["id"][:8])]
    assert len(lines) == 1, text  # one line per run: nothing wrapped
    assert "SB100-2026-000123" in lines[0] and "failed" in lines[0]
    assert "started" in text
    if width == 120:
        assert "SB-100-REV-C" in lines[0] and "duration" in text


@pytest.mark.parametrize("width", [80, 120])
def test_show_never_drops_the_verdict_of_a_failing_run(odd_stand, width):
    _, report, cases = _store_rows(odd_stand)
    text = _render(run_view(report, cases), width)
    assert max(len(line) for line in text.splitlines()) <= width
    assert report["id"] in text and "SB100-2026-000123" in text
    verdicts = [line for line in text.splitlines() if line.rstrip().endswith(("FAIL", "pass"))]
    assert [line.split()[-1] for line in verdicts] == ["FAIL", "pass"], text
    assert "5.5123456" in text and "gele [4.9, 5.1]" in text and "le 0.2" in text
    assert "rail out of range" in text and "DP8A0001" in text


def test_end_of_run_summary_names_cases_failing_measurements_and_the_run(odd_stand):
    _, report, _ = _store_rows(odd_stand)
    out = odd_stand.first_run.stdout
    summary = out[out.index("stand-bridge"):]
    assert f"run {report['id']}: failed" in summary and f"bridge show {report['id'][:8]}" in summary
    assert "cases: 1 passed, 1 failed" in summary
    assert ("5 V rail at 2 A load, after 10 s settling = 5.5123456 V (gele [4.9, 5.1])"
            in summary)
    assert "stored in" in summary


def test_summary_lists_a_case_that_passed_with_a_failing_measurement():
    from bridge.run_summary import summary_lines

    rail = {"name": "rail", "value": 5.5, "unit": "V", "operation": "le",
            "comparison_value": 5.1, "result": False}
    report = {"id": "0123456789abcdef", "status": "passed", "modules": {"m": {
        "name": "power", "cases": {
            "a": {"name": "rail\x1b[2J", "status": "passed", "measurements": [rail]},
            "b": {"name": "idle", "status": "skipped", "measurements": []}}}}}
    text = "\n".join(line for line, _ in summary_lines(report))
    assert "cases: 1 passed, 1 skipped" in text
    assert "power / rail\\x1b[2J: rail = 5.5 V (le 5.1)" in text
    assert "power / rail\\x1b[2J: passed, though 1 measurement(s) failed" in text
    assert "\x1b" not in text


def test_a_huge_serial_number_is_cut_and_leaves_the_run_id_whole():
    row = {"id": "a777597d-86eb-4ad5-9a78-c44ce3067977", "start_time": 1.0e9, "stop_time": None,
           "status": "failed", "dut_serial_number": "S" * 10_000_000, "dut_part_number": None,
           "cases": 1, "stand_name": None, "name": "plan"}
    console = Console(width=80, file=io.StringIO())
    text = _render([runs_table(console, [row])], 80)
    (line,) = [line for line in text.splitlines() if "a777597d" in line]
    assert "failed" in line and "...(+9999960 chars)" in line and len(line) <= 80


def test_a_bad_since_is_a_usage_error_naming_the_option(stand):
    result = stand.bridge("runs", "--since", "yesterday")
    assert result.returncode == 2
    assert "argument --since: 'yesterday': give an age like 2h" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_limit_sqlite_cannot_hold_is_a_usage_error(stand):
    result = stand.bridge("runs", "--limit", "99999999999999999999999")
    assert result.returncode == 2 and "outside 1 to 1000000" in result.stderr
    assert "Traceback" not in result.stderr
