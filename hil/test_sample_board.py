"""Reference test plan for the sample board SB-100: power, firmware, rails, self-test.

It uses only the stand's fixtures (psu, dmm, dut from hardpy.toml) and the test-plan
API; the same file runs on the real stand and on the simulated one (--stand sim).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import bridge
from bridge import ComparisonOperation as Op
from bridge import NumericMeasurement, StringMeasurement

FIRMWARE = Path(__file__).parent / "firmware" / "sample-board-1.1.0.bin"
FIRMWARE_VERSION = "1.1.0"
SUPPLY_VOLTS = 5.0
CURRENT_LIMIT = 0.5
RAILS = {"VIN": SUPPLY_VOLTS, "3V3": 3.3, "1V8": 1.8}
TOLERANCE = 0.03  # ±3 % on every rail

pytestmark = pytest.mark.module_name("Sample board SB-100")


def measure(name: str, value: float, unit: str, low: float, high: float) -> None:
    bridge.set_case_measurement(NumericMeasurement(
        name=name, value=round(value, 6), unit=unit, operation=Op.GELE,
        lower_limit=round(low, 6), upper_limit=round(high, 6)))


@pytest.mark.critical
@pytest.mark.case_name("Power on and check the supply")
def test_power_on(psu, dut):
    bridge.set_stand_name("sample-board-hil")
    psu.current_limit = CURRENT_LIMIT
    psu.voltage = SUPPLY_VOLTS
    psu.output = True
    dut.wait_for_boot()
    assert psu.output is True
    assert psu.voltage == pytest.approx(SUPPLY_VOLTS)
    measure("supply voltage", psu.measured_voltage, "V", 0.98 * SUPPLY_VOLTS, 1.02 * SUPPLY_VOLTS)


@pytest.mark.critical
@pytest.mark.case_name("Program the firmware")
def test_program_firmware(dut):
    result = dut.program(FIRMWARE.read_bytes())
    bridge.set_dut_info(result.as_info())
    bridge.set_case_measurement(StringMeasurement(
        name="firmware version after programming", value=result.version,
        operation=Op.EQ, comparison_value=FIRMWARE_VERSION))


@pytest.mark.case_name("Read identity from the firmware")
def test_identity(dut):
    ident = dut.identify()
    bridge.set_dut_serial_number(ident.serial)
    bridge.set_dut_part_number(ident.model)
    bridge.set_dut_info({"firmware_version": ident.firmware, "serial_from_firmware": ident.serial})
    assert ident.firmware == FIRMWARE_VERSION


@pytest.mark.case_name("Measure the rails with the DMM")
def test_rails(dut, dmm):
    for rail, nominal in RAILS.items():
        dut.test_point(rail)
        measure(f"rail {rail}", dmm.dc_voltage, "V", nominal * (1 - TOLERANCE),
                nominal * (1 + TOLERANCE))


@pytest.mark.case_name("Firmware self-test")
def test_self_test(dut):
    for check, passed in dut.self_test().items():
        bridge.set_case_measurement(StringMeasurement(
            name=f"self-test {check}", value="PASS" if passed else "FAIL",
            operation=Op.EQ, comparison_value="PASS"))


@pytest.mark.case_name("Supply current")
def test_supply_current(psu):
    measure("supply current", psu.measured_current * 1000, "mA", 20.0, 100.0)


@pytest.mark.case_name("Power down")
def test_power_down(psu, dmm):
    psu.output = False
    assert psu.output is False
    measure("supply after power down", psu.measured_voltage, "V", -0.05, 0.05)
    measure("test point after power down", dmm.dc_voltage, "V", -0.05, 0.05)
