"""Helpers of the report tests: a plan with every kind of content, page writing."""

from __future__ import annotations

from pathlib import Path

from plan_support import Plan

RICH_PLAN = '''
import pytest

import bridge
from bridge import Chart, ComparisonOperation as Op, Instrument, NumericMeasurement
from bridge import StringMeasurement

pytestmark = pytest.mark.module_name("Power board")


@pytest.mark.case_name("Identity")
def test_identity():
    bridge.set_dut_part_number("PB-7")
    bridge.set_dut_serial_number("SN-0042")
    bridge.set_stand_name("Stand A")
    bridge.set_user_name("Ada Operator")
    bridge.set_batch_serial_number("LOT-77")
    bridge.set_instrument(Instrument(name="psu", part_number="PSU-3000", serial_number="P9",
                                     revision="fw 2.1"))
    bridge.set_dut_info({"firmware": "1.2.3"})
    bridge.set_run_artifact({"lot": {"id": 5}})


@pytest.mark.case_name("Rails")
def test_rails():
    bridge.set_case_measurement(NumericMeasurement(
        name="rail 5V", value=5.03, unit="V", operation=Op.GELE, lower_limit=4.9,
        upper_limit=5.1))
    bridge.set_case_measurement(NumericMeasurement(
        name="ripple", value=12, unit="mV", operation=Op.LE, comparison_value=20))
    bridge.set_case_measurement(StringMeasurement(
        name="state", value="OK", operation=Op.EQ, comparison_value="OK"))
    bridge.set_message("rails within limits", "rails")
    chart = Chart(title="Start-up ramp", x_label="time, ms", y_label="voltage, V")
    chart.add_series([0, 1, 2, 3, 4], [0.0, 1.9, 3.8, 4.9, 5.0], "5V")
    chart.add_series([0, 1, 2, 3, 4], [0.0, 1.2, 2.6, 3.3, 3.3], "3V3")
    bridge.set_case_chart(chart)
    bridge.set_case_artifact({"samples": [5.0, 5.01]})


@pytest.mark.case_name("Filter response")
def test_filter():
    chart = Chart(type="line_log_x", title="Gain", x_label="frequency, Hz", y_label="gain, dB")
    chart.add_series([10, 100, 1000, 10000], [0.0, -0.5, -3.0, -20.0])
    bridge.set_case_chart(chart)


@pytest.mark.case_name("Load current")
def test_load():
    bridge.set_case_measurement(NumericMeasurement(
        name="load current", value=131.0, unit="mA", operation=Op.GELE, lower_limit=20,
        upper_limit=120), fail_case=True)  # the strict rule: this case fails on it


calls = {"n": 0}


@pytest.mark.attempt(3)
@pytest.mark.case_name("Flaky link")
def test_flaky():
    calls["n"] += 1
    assert calls["n"] >= 2, "link not up yet"
'''


def write_page(plan: Plan, *args: str, name: str = "page.html") -> Path:
    output = plan.root / name
    result = plan.bridge("report", *args, "-o", str(output))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(output)
    return output
