"""Smoke tests on real instruments: skipped unless their addresses are given.

    STAND_PSU=TCPIP0::192.168.10.21::5025::SOCKET STAND_VISA_BACKEND=@py \\
    STAND_DMM=USB0::0x2A8D::0x1301::MY60012345::INSTR STAND_DUT=hwgrep://SB100 \\
    pytest tests/drivers/test_real_stand.py
"""

from __future__ import annotations

import os

import pytest

from drivers.dmm import ScpiMultimeter
from drivers.dut import DutConsole
from drivers.psu import ScpiPowerSupply

BACKEND = os.environ.get("STAND_VISA_BACKEND", "")


def address(name: str) -> str:
    value = os.environ.get(f"STAND_{name}")
    if not value:
        pytest.skip(f"no real {name.lower()}: set STAND_{name} to its address")
    return value


def test_real_supply_identifies_and_switches_off():
    with ScpiPowerSupply.open(address("PSU"), backend=BACKEND) as psu:
        assert psu.identity.model
        psu.output = False
        assert psu.output is False


def test_real_dmm_identifies_and_reads():
    with ScpiMultimeter.open(address("DMM"), backend=BACKEND) as dmm:
        assert dmm.identity.model
        assert isinstance(dmm.dc_voltage, float)


def test_real_dut_console_answers():
    with DutConsole.open(address("DUT"), wait_for_port=5.0) as dut:
        assert dut.version()
