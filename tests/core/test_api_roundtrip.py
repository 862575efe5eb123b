"""A plan using every API function and marker round-trips into the report format."""

import json
import sqlite3
import uuid

import pytest
from plan_support import Plan

from bridge.report_schema import RunReport

FULL_PLAN = '''
import pytest

import hardpy
from hardpy import (Chart, ComparisonOperation as Op, Instrument, NumericMeasurement,
                    StringMeasurement, SubUnit)

pytestmark = pytest.mark.module_name("Power rails")


@pytest.mark.case_name("Identity")
def test_identity():
    hardpy.set_dut_part_number("PN-1")
    hardpy.set_dut_serial_number("SN-42")
    hardpy.set_dut_name("Board")
    hardpy.set_dut_type("controller")
    hardpy.set_dut_revision("B")
    hardpy.set_dut_info({"fw": "1.2.3", "ram_mb": 512})
    assert hardpy.set_dut_sub_unit(SubUnit(name="radio", serial_number="R-1")) == 0
    hardpy.set_stand_name("Stand A")
    hardpy.set_stand_info({"room": "B12"})
    hardpy.set_stand_location("Line 3")
    hardpy.set_stand_number(7)
    hardpy.set_stand_revision("2")
    hardpy.set_driver_info({"psu": {"model": "PSU-1", "channels": [1, 2]}})
    assert hardpy.set_instrument(Instrument(name="psu", serial_number="P9", number=1)) == 0
    hardpy.set_process_name("acceptance")
    hardpy.set_process_number(3)
    hardpy.set_process_info({"station": 2})
    hardpy.set_batch_serial_number("B-77")
    hardpy.set_user_name("operator")
    hardpy.set_run_artifact({"lot": {"id": 5}})


@pytest.mark.case_name("5 V rail")
def test_rail():
    meas = NumericMeasurement(value=5.01, name="rail", unit="V", operation=Op.GELE,
                              lower_limit=4.9, upper_limit=5.1)
    assert hardpy.set_case_measurement(meas) == 0
    hardpy.set_case_measurement(StringMeasurement(value="OK", name="state",
                                                  operation=Op.EQ, comparison_value="ok",
                                                  casesensitive=False))
    hardpy.set_case_measurement(NumericMeasurement(value=3, name="count"))
    hardpy.set_message("rail fine", "rail")
    hardpy.set_message("another")
    chart = Chart(title="ramp", x_label="t", y_label="V")
    chart.add_series([0, 1, 2], [0.0, 2.5, 5.0], "up")
    hardpy.set_case_chart(chart)
    hardpy.set_case_artifact({"samples": [5.0, 5.01]})
    hardpy.set_module_artifact({"rails": 1})
    assert hardpy.get_current_report().dut.part_number == "PN-1"


flaky = {"calls": 0}


@pytest.mark.attempt(3)
def test_flaky():
    flaky["calls"] += 1
    hardpy.set_message(f"try {hardpy.get_current_attempt()}")
    assert hardpy.get_current_attempt() == flaky["calls"]
    assert flaky["calls"] == 2


def test_limit_fails_the_case():
    hardpy.set_case_measurement(NumericMeasurement(value=5.3, name="rail", unit="V",
                                                   operation=Op.LE, comparison_value=5.1),
                                fail_case=True)


def test_limit_recorded_only():  # as in HardPy: the plan's asserts decide
    hardpy.set_case_measurement(NumericMeasurement(value=9, operation=Op.LT,
                                                   comparison_value=1))


@pytest.mark.dependency("test_full::test_limit_fails_the_case")
def test_depends_on_failed():
    pass


@pytest.mark.dependency("test_full::test_rail")
def test_depends_on_passed():
    pass


@pytest.mark.critical
def test_critical_failure():
    assert 1 == 2, "supply shorted"


def test_after_critical():
    pass
'''


PAUSE = 0.2  # seconds between attempts; the default, 1 s, is checked in test_config_quick


@pytest.fixture(scope="module")
def full_run(tmp_path_factory):
    plan = Plan(tmp_path_factory.mktemp("full"))
    plan.write("hardpy.toml", f'title = "Full"\n[stand]\nattempt_pause = {PAUSE}\n')
    plan.write("test_full.py", FULL_PLAN)
    result = plan.pytest()
    assert result.returncode == 1, result.stdout + result.stderr  # failures are expected
    return plan


def test_every_api_function_and_marker_round_trips(full_run):
    report = full_run.export()
    RunReport.model_validate(report)  # exactly the keys and types of the format

    assert report["status"] == "failed"
    assert report["caused_dut_failure_id"] == "test_full::test_limit_fails_the_case"
    stand, dut = report["test_stand"], report["dut"]
    assert (stand["name"], stand["location"], stand["number"], stand["revision"]) == (
        "Stand A", "Line 3", 7, "2")
    assert stand["info"] == {"room": "B12"}
    assert stand["drivers"] == {"psu": {"model": "PSU-1", "channels": [1, 2]}}
    assert stand["instruments"][0]["serial_number"] == "P9"
    assert stand["hw_id"] and stand["timezone"]
    assert dut == {"name": "Board", "type": "controller", "serial_number": "SN-42",
                   "part_number": "PN-1", "revision": "B",
                   "sub_units": [{"name": "radio", "type": None, "serial_number": "R-1",
                                  "part_number": None, "revision": None, "info": {}}],
                   "info": {"fw": "1.2.3", "ram_mb": 512}}
    assert report["process"] == {"name": "acceptance", "number": 3, "info": {"station": 2}}
    assert (report["user"], report["batch_serial_number"]) == ("operator", "B-77")
    assert report["artifact"] == {"lot": {"id": 5}}

    module = report["modules"]["test_full"]
    assert module["name"] == "Power rails"
    assert module["artifact"] == {"rails": 1}
    cases = module["cases"]
    assert cases["test_identity"]["name"] == "Identity"
    rail = cases["test_rail"]
    assert rail["name"] == "5 V rail" and rail["status"] == "passed"
    (key, text), = [item for item in rail["msg"].items() if item[0] != "rail"]
    assert rail["msg"]["rail"] == "rail fine" and text == "another"
    assert uuid.UUID(key).version == 4  # a message without a key, as in HardPy
    assert rail["chart"]["x_data"] == [[0, 1, 2]] and rail["chart"]["marker_name"] == ["up"]
    assert rail["artifact"] == {"samples": [5.0, 5.01]}
    numeric, string, plain = rail["measurements"]
    assert numeric == {"type": "numeric", "name": "rail", "value": 5.01, "unit": "V",
                       "operation": "gele", "comparison_value": None, "lower_limit": 4.9,
                       "upper_limit": 5.1, "result": True}
    assert string["result"] is True and string["casesensitive"] is False
    assert plain["value"] == 3 and isinstance(plain["value"], int) and plain["result"] is None

    assert cases["test_flaky"]["status"] == "passed" and cases["test_flaky"]["attempt"] == 2
    assert list(cases["test_flaky"]["msg"].values()) == ["try 2"]
    failed = cases["test_limit_fails_the_case"]
    assert failed["status"] == "failed"
    assert "rail = 5.3 V, expected le 5.1" in failed["assertion_msg"]
    assert cases["test_limit_recorded_only"]["status"] == "passed"
    assert cases["test_depends_on_failed"]["status"] == "skipped"
    assert cases["test_depends_on_passed"]["status"] == "passed"
    assert cases["test_critical_failure"]["assertion_msg"].startswith("AssertionError: supply")
    after = cases["test_after_critical"]
    assert after["status"] == "skipped"


def test_each_attempt_is_kept_in_the_store(full_run):
    with sqlite3.connect(full_run.store_path) as conn:
        rows = conn.execute("SELECT attempt, status, msg FROM cases "
                            "WHERE case_id = 'test_flaky' ORDER BY attempt").fetchall()
    assert [(attempt, status, list(json.loads(msg).values()))
            for attempt, status, msg in rows] == [(1, "failed", ["try 1"]),
                                                  (2, "passed", ["try 2"])]


def test_attempts_are_a_pause_apart_as_in_hardpy(full_run):
    with sqlite3.connect(full_run.store_path) as conn:
        (first_stop, second_start), = conn.execute(
            "SELECT MAX(CASE attempt WHEN 1 THEN stop_time END),"
            " MAX(CASE attempt WHEN 2 THEN start_time END)"
            " FROM cases WHERE case_id = 'test_flaky'").fetchall()
    assert second_start - first_stop >= PAUSE  # time.sleep never ends early
