"""The simulated stand: coupling, bootloader, fault injection — and the supply ends off."""

from __future__ import annotations

import contextlib
import hashlib
import time
import types

import pytest

from bridge.errors import FirmwareError, InstrumentError
from drivers.dmm import ScpiMultimeter
from drivers.dut import DutConsole
from drivers.psu import ScpiPowerSupply
from drivers.sim import make_image
from drivers.sim.workbench import BENCH


class Stand:
    def __init__(self, psu: ScpiPowerSupply, dmm: ScpiMultimeter, dut: DutConsole):
        self.psu, self.dmm, self.dut = psu, dmm, dut

    def power_on(self, volts: float = 5.0) -> None:
        self.psu.current_limit = 0.5
        self.psu.voltage = volts
        self.psu.output = True
        self.dut.wait_for_boot()


@pytest.fixture
def stand(bench):
    """PSU, DMM and DUT opened like the fixtures do; at the end, ask the simulator
    whether the supply's output is off."""
    with contextlib.ExitStack() as stack:
        psu = stack.enter_context(ScpiPowerSupply.open(
            ScpiPowerSupply.SIM_RESOURCE, **BENCH.sim_options(ScpiPowerSupply)))
        dmm = stack.enter_context(ScpiMultimeter.open(
            ScpiMultimeter.SIM_RESOURCE, **BENCH.sim_options(ScpiMultimeter)))
        dut = stack.enter_context(DutConsole.open("dutsim://slot0?channel=1"))
        yield Stand(psu, dmm, dut)
    assert bench.psu_state(1)["output"] == 0, "the supply was left on"


def assert_names(err: InstrumentError, command: str, resource: str = "dutsim://slot0?channel=1"):
    assert err.resource == resource
    assert err.command == command
    assert err.reply is not None


# -- coupling -----------------------------------------------------------------------------


def test_dmm_follows_the_supply_voltage_and_reads_zero_when_off(stand):
    stand.power_on(5.0)
    assert stand.dmm.dc_voltage == pytest.approx(5.0, abs=0.005)
    stand.psu.voltage = 4.5
    assert stand.dmm.dc_voltage == pytest.approx(4.5, abs=0.005)
    stand.psu.output = False
    assert stand.dmm.dc_voltage == 0.0
    assert stand.psu.measured_voltage == 0.0


def test_dut_adc_and_rails_follow_the_supply(stand):
    stand.power_on(5.0)
    assert stand.dut.adc("VIN") == pytest.approx(5.0, abs=0.02)
    stand.dut.test_point("3V3")
    assert stand.dmm.dc_voltage == pytest.approx(3.3, abs=0.02)
    stand.psu.voltage = 3.0  # below brown-out: the board stops
    assert stand.dmm.dc_voltage == 0.0
    with pytest.raises(InstrumentError, match="timeout"):
        stand.dut.version()


def test_supply_current_is_the_dut_load_and_limited_by_the_current_limit(stand):
    stand.power_on(5.0)
    assert stand.psu.measured_current == pytest.approx(0.05, abs=0.001)
    stand.psu.current_limit = 0.02  # constant-current: voltage sags to 2 V, board browns out
    assert stand.psu.measured_current == pytest.approx(0.02, abs=0.001)
    assert stand.psu.measured_voltage == pytest.approx(2.0, abs=0.01)


def test_supply_channels_are_independent(stand, bench):
    stand.power_on(5.0)
    other = stand.psu.on_channel(2)
    other.voltage = 12.0
    assert bench.psu_state(2) == {"voltage": 12.0, "current": 1.0, "output": 0}
    assert other.measured_voltage == 0.0
    assert stand.psu.measured_voltage == pytest.approx(5.0, abs=0.01)


def test_a_reset_brings_every_instrument_back_to_power_on(stand, bench):
    power_on = bench.psu_state(2)
    stand.psu.on_channel(2).voltage = 3.3
    assert bench.psu_state(2)["voltage"] == pytest.approx(3.3)
    bench.reset()  # a copy of the parsed stand: the last reset's copy was changed
    assert bench.psu_state(2) == power_on


# -- bootloader ---------------------------------------------------------------------------


def test_bootloader_accepts_an_image_and_reports_its_version(stand):
    stand.power_on()
    result = stand.dut.program(make_image("2.3.4", 2000))
    assert (result.version, result.retries) == ("2.3.4", 0)
    assert stand.dut.version() == "2.3.4"


def test_corrupted_chunk_is_nak_ed_and_resent(stand, bench):
    stand.power_on()
    bench.inject("slot0", "crc")
    result = stand.dut.program(make_image("2.3.5", 2000))
    assert result.retries == 1
    assert ("slot0", "crc") in bench.faults_played
    assert stand.dut.version() == "2.3.5"


def test_image_that_does_not_match_its_announced_hash_is_rejected(stand, monkeypatch):
    stand.power_on()
    wrong = types.SimpleNamespace(sha256=lambda data: hashlib.sha256(data + b"!"))
    monkeypatch.setattr("drivers.dut.hashlib", wrong)  # the announced hash will not match
    with pytest.raises(FirmwareError, match="image rejected"):
        stand.dut.program(make_image("9.9.9", 600))
    monkeypatch.undo()
    assert stand.dut.version() == "1.0.0"  # still the old firmware, console back


# -- bad input ------------------------------------------------------------------------------


def test_firmware_err_is_a_firmware_error(stand):
    stand.power_on()
    with pytest.raises(FirmwareError) as info:
        stand.dut.command("FLY")
    assert info.value.code == 1
    assert_names(info.value, "FLY")


@pytest.mark.parametrize(("fault", "message"), [
    ("silent", "timeout"), ("garbage", "timeout"), ("truncate", "timeout"),
    ("wrong_eol", "malformed"), ("reset", "reset during the command"),
])
def test_console_faults_raise_naming_resource_command_and_reply(stand, bench, fault, message):
    stand.power_on()
    bench.inject("slot0", fault)
    with pytest.raises(InstrumentError, match=message) as info:
        stand.dut.version()
    assert_names(info.value, "VER?")
    if fault == "reset":
        assert stand.dut.version() == "1.0.0"  # rebooted, console usable again


@pytest.fixture
def no_real_waits(monkeypatch):
    """A real wait (time.sleep) fails the test: simulated time must cost none. Checked
    by what is called, not by a stopwatch, so a loaded machine cannot fail it."""
    def sleep(seconds: float) -> None:
        raise AssertionError(f"a real wait of {seconds} s")

    monkeypatch.setattr(time, "sleep", sleep)


def test_slow_answer_within_timeout_arrives_late_but_costs_no_real_time(stand, bench,
                                                                         no_real_waits):
    stand.power_on()
    bench.inject("slot0", "slow", 0.8)
    virtual = bench.clock.now()
    assert stand.dut.version() == "1.0.0"
    assert bench.clock.now() - virtual == pytest.approx(0.8)


def test_boot_wait_is_bounded(stand, bench, no_real_waits):
    stand.psu.voltage = 5.0  # output stays off: the board never boots
    virtual = bench.clock.now()
    with pytest.raises(InstrumentError, match="no boot prompt within 5 s") as info:
        stand.dut.wait_for_boot()
    assert info.value.command == "(wait for boot)"
    assert bench.clock.now() - virtual == pytest.approx(5.0)  # five simulated seconds


def test_port_that_vanishes_mid_run(stand, bench):
    stand.power_on()
    bench.inject("slot0", "vanish")
    with pytest.raises(InstrumentError, match="disconnected") as info:
        stand.dut.version()
    assert info.value.resource == "dutsim://slot0?channel=1"
    assert info.value.command == "VER?"


def test_instrument_error_queue_surfaces_after_the_command(stand):
    with pytest.raises(InstrumentError, match="-100") as info:
        stand.psu.current_limit = 5.0  # the simulated model stops at 3 A
    assert_names(info.value, "CURR 5.000,(@1)", ScpiPowerSupply.SIM_RESOURCE)
    assert info.value.reply == "-100 Command error"


def test_garbage_from_the_supply(stand, bench):
    bench.inject(ScpiPowerSupply.SIM_RESOURCE, "garbage")
    with pytest.raises(InstrumentError) as info:
        stand.psu.measured_voltage  # noqa: B018
    assert_names(info.value, "MEAS:VOLT? (@1)", ScpiPowerSupply.SIM_RESOURCE)


def test_fault_from_the_url_rehearses_a_failure(bench):
    with DutConsole.open("dutsim://rehearse?fault=garbage") as dut:
        dut.wait_for_boot()
        with pytest.raises(InstrumentError):
            dut.version()
        assert dut.version() == "1.0.0"


def test_unknown_fault_is_refused(bench):
    with pytest.raises(ValueError, match="unknown fault"):
        bench.inject("slot0", "lightning")
