"""Bad input gets a clear error at the call, at collection, or before the first case."""

import math
import re
import sqlite3

import pytest
from plan_support import Plan

from bridge import api
from bridge.errors import NotInRunError, StoreError
from bridge.models import ComparisonOperation, NumericMeasurement, StringMeasurement
from bridge.store import Store
from bridge.store.schema import LATEST_VERSION


def test_api_outside_a_running_plan_says_so():
    with pytest.raises(NotInRunError, match=r"set_dut_serial_number\(\) was called outside"):
        api.set_dut_serial_number("SN-1")


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_measurement_value_must_be_finite(value):
    with pytest.raises(ValueError, match="must be a finite number"):
        NumericMeasurement(value=value, name="rail")


@pytest.mark.parametrize(("kwargs", "reason"), [
    ({"operation": "gele", "lower_limit": 5.1, "upper_limit": 4.9}, "is above upper_limit"),
    ({"operation": "gele", "lower_limit": 4.9}, "needs lower_limit and upper_limit"),
    ({"operation": "eq"}, "needs comparison_value"),
    ({"operation": "lt", "lower_limit": 1, "upper_limit": 2}, "takes comparison_value"),
    ({"operation": "between", "comparison_value": 3}, "operation"),
])
def test_limits_that_contradict_the_operation_are_refused(kwargs, reason):
    with pytest.raises(ValueError, match=reason):
        NumericMeasurement(value=5, name="rail", **kwargs)


def test_string_measurement_refuses_numeric_operations():
    with pytest.raises(ValueError, match="supports eq and ne"):
        StringMeasurement(value="a", operation="gt", comparison_value="b")


@pytest.mark.parametrize(("op", "value", "expected"), [
    ("eq", 5, True), ("ne", 5, False), ("gt", 6, True), ("ge", 5, True),
    ("lt", 5, False), ("le", 5, True),
    ("gtlt", 4, False), ("gele", 4, True), ("gelt", 6, False), ("gtle", 6, True),
    ("ltgt", 3, True), ("lege", 4, True), ("legt", 6, False), ("ltge", 6, True),
])
def test_fourteen_operations_judge_as_documented(op, value, expected):
    if op in ("eq", "ne", "gt", "ge", "lt", "le"):
        meas = NumericMeasurement(value=value, operation=op, comparison_value=5)
    else:  # limits 4 and 6
        meas = NumericMeasurement(value=value, operation=op, lower_limit=4, upper_limit=6)
    assert meas.operation is ComparisonOperation(op)
    assert meas.result is expected


# Each bad call is one case of a single plan run once (a pytest process costs ~0.6 s);
# each test below finds its case's own failure report in the output.
BAD_CALLS = {
    "artifact_json": "bridge.set_case_artifact({'handle': object()})",
    "info_flat": "bridge.set_dut_info({'rails': [5, 12]})",
    "nan_artifact": "bridge.set_run_artifact({'gain': float('nan')})",
    "twice": "bridge.set_dut_serial_number('A'); bridge.set_dut_serial_number('B')",
}


@pytest.fixture(scope="module")
def bad_call_failures(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Each case's failure report (pytest's ``___ test_NAME ___`` section), by name."""
    plan = Plan(tmp_path_factory.mktemp("bad_calls"))
    plan.write("hardpy.toml", 'title = "Test plan"\n')
    plan.write("test_bad.py", "import bridge\n" + "".join(
        f"\n\ndef test_{name}():\n    {body}\n" for name, body in BAD_CALLS.items()))
    result = plan.pytest()
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{len(BAD_CALLS)} failed" in result.stdout, result.stdout
    sections = re.split(r"^_{3,} (test_\w+) _{3,}$", result.stdout, flags=re.MULTILINE)
    return dict(zip(sections[1::2], sections[2::2], strict=True))


def test_artifact_that_json_cannot_hold_names_the_key(bad_call_failures):
    out = bad_call_failures["test_artifact_json"]
    assert "TypeError: case artifact['handle'] cannot be stored as JSON" in out


def test_info_value_must_be_flat(bad_call_failures):
    out = bad_call_failures["test_info_flat"]
    assert "dut info['rails'] must be str, int, float, datetime or None" in out


def test_nan_in_artifact_is_refused(bad_call_failures):
    out = bad_call_failures["test_nan_artifact"]
    assert "ValueError: run artifact['gain'] cannot be stored as JSON" in out


def test_setting_a_once_only_field_twice_is_an_error(bad_call_failures):
    assert "dut_serial_number is already set" in bad_call_failures["test_twice"]


def test_unknown_operation_fails_at_collection(plan):
    plan.write("test_op.py", """
        from bridge import ComparisonOperation
        LIMIT = ComparisonOperation.BETWEEN

        def test_never():
            pass
    """)
    result = plan.pytest()
    assert result.returncode == 2
    assert "BETWEEN" in result.stdout and "error during collection" in result.stdout
    assert not plan.store_path.exists() or "passed" not in plan.bridge("runs").stdout


@pytest.mark.parametrize(("marker", "reason"), [
    ("attempt(0)", "attempt takes a whole number"),
    ("attempt('3')", "attempt takes a whole number"),
    ("case_name(3)", "case_name takes one string"),
    ("case_group('main2')", "case_group takes one of setup, main, teardown"),
    ("critical(True)", "critical takes no arguments"),
])
def test_wrong_marker_argument_fails_at_collection(plan, marker, reason):
    plan.write("test_marks.py", f"""
        import pytest

        @pytest.mark.{marker}
        def test_marked():
            pass
    """)
    result = plan.pytest()
    assert result.returncode == 4, result.stdout + result.stderr
    assert f"test_marks.py::test_marked: @pytest.mark.{reason}" in result.stderr


def test_store_that_is_not_sqlite_is_refused_untouched(tmp_path):
    path = tmp_path / "runs.db"
    path.write_bytes(b"these are my notes, not a database\n")
    with pytest.raises(StoreError, match="is not an SQLite file"):
        Store.open(path)
    assert path.read_bytes() == b"these are my notes, not a database\n"


def test_store_from_a_newer_schema_is_refused_untouched(tmp_path):
    path = tmp_path / "runs.db"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {LATEST_VERSION + 1}")
    before = path.read_bytes()
    with pytest.raises(StoreError, match="newer stand-bridge"):
        Store.open(path)
    assert path.read_bytes() == before


def test_unwritable_store_location_fails_before_the_first_case(plan):
    (plan.root / "blocker").write_text("a file where the store folder should be")
    plan.write("hardpy.toml", '[store]\npath = "blocker/runs.db"\n')
    plan.write("test_one.py", "def test_one():\n    open('ran', 'w').close()\n")
    result = plan.pytest()
    assert result.returncode == 4
    assert "cannot create the store directory" in result.stderr
    assert "blocker" in result.stderr
    assert not (plan.root / "ran").exists()
