"""The bridge command: runs, show, export; failures exit non-zero with one line."""

import json

import pytest
from plan_support import Plan

PLAN = """
import bridge
from bridge import NumericMeasurement

def test_rail():
    bridge.set_dut_part_number("{part}")
    bridge.set_dut_serial_number("{serial}")
    bridge.set_stand_name("Stand A")
    bridge.set_case_measurement(NumericMeasurement(value={value}, name="rail", unit="V",
                                operation="gele", lower_limit=4.9, upper_limit=5.1))
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
    assert _json_lines(stand.bridge("runs", "--json", "--serial", "SN-1", "--since", "1h")
                       .stdout)[0]["cases"] == 1


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


def test_export_writes_the_report_to_a_file(stand):
    target = stand.root / "out" / "report.json"
    target.parent.mkdir()
    assert stand.bridge("export", "last", "-o", str(target)).returncode == 0
    assert json.loads(target.read_text())["dut"]["serial_number"] == "SN-3"


def test_store_option_overrides_the_configuration(stand, tmp_path):
    result = Plan(tmp_path).bridge("--store", str(stand.store_path), "runs", "--json")
    assert len(result.stdout.splitlines()) == 3


@pytest.mark.parametrize(("args", "reason"), [
    (["show", "nope"], "no run 'nope'"),
    (["export", ""], "ambiguous"),
    (["runs", "--since", "yesterday"], "give an age like 2h"),
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
