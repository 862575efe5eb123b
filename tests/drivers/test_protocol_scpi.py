"""Exact bytes: what each SCPI driver sends and how it parses the replies."""

from __future__ import annotations

import pytest

from bridge.errors import InstrumentError
from drivers.dmm import ScpiMultimeter
from drivers.psu import ScpiPowerSupply

NO_ERROR = (b"SYST:ERR?\n", b'+0,"No error"\n')


def test_supply_identity_is_parsed_from_idn(expected_protocol):
    script = [(b"*IDN?\n", b"Keysight Technologies,E36312A,MY59001234,2.1.0-1.0.4\n")]
    with expected_protocol(ScpiPowerSupply, script) as psu:
        ident = psu.identify()
    assert ident.manufacturer == "Keysight Technologies"
    assert ident.model == "E36312A"
    assert ident.serial == "MY59001234"
    assert ident.firmware == "2.1.0-1.0.4"


def test_supply_sets_voltage_with_channel_list_and_checks_the_error_queue(expected_protocol):
    script = [(b"VOLT 5.000,(@2)\n", b""), NO_ERROR,
              (b"CURR 0.250,(@2)\n", b""), NO_ERROR,
              (b"OUTP 1,(@2)\n", b""), NO_ERROR]
    with expected_protocol(ScpiPowerSupply, script, channel=2) as psu:
        psu.voltage = 5
        psu.current_limit = 0.25
        psu.output = True


def test_supply_reads_settings_and_measurements(expected_protocol):
    script = [(b"VOLT? (@1)\n", b"5.000\n"), (b"CURR? (@1)\n", b"0.500\n"),
              (b"OUTP? (@1)\n", b"1\n"), (b"MEAS:VOLT? (@1)\n", b"4.9993\n"),
              (b"MEAS:CURR? (@1)\n", b"0.05012\n")]
    with expected_protocol(ScpiPowerSupply, script) as psu:
        assert psu.voltage == 5.0
        assert psu.current_limit == 0.5
        assert psu.output is True
        assert psu.measured_voltage == pytest.approx(4.9993)
        assert psu.measured_current == pytest.approx(0.05012)


def test_supply_without_error_check_sends_only_the_command(expected_protocol):
    with expected_protocol(ScpiPowerSupply, [(b"OUTP 0,(@3)\n", b"")],
                           channel=3, check_errors=False) as psu:
        psu.output = False


def test_supply_on_channel_shares_the_connection(expected_protocol):
    script = [(b"OUTP 0,(@1)\n", b""), NO_ERROR, (b"OUTP 0,(@2)\n", b""), NO_ERROR]
    with expected_protocol(ScpiPowerSupply, script) as psu:
        psu.safe_state()
        psu.on_channel(2).safe_state()
        assert psu.channel == 1


def test_a_supply_channel_is_one_object_that_commands_through_the_supply(expected_protocol):
    script = [(b"VOLT 12.000,(@3)\n", b""), NO_ERROR, (b"MEAS:CURR? (@3)\n", b"0.10\n")]
    with expected_protocol(ScpiPowerSupply, script) as psu:
        third = psu.on_channel(3)
        assert third is psu.on_channel(3)
        assert (third.instrument, third.transport, third.channel) == (psu, psu.transport, 3)
        third.voltage = 12
        assert third.measured_current == pytest.approx(0.1)
        assert psu.channel == 1  # the supply's own channel is untouched


def test_a_misspelled_channel_setting_names_the_nearest_and_sends_nothing(expected_protocol):
    with expected_protocol(ScpiPowerSupply, []) as psu, \
            pytest.raises(AttributeError, match="SupplyChannel has no setting 'votlage'; "
                                                "did you mean 'voltage'"):
        psu.on_channel(2).votlage = 5


def test_supply_refuses_out_of_range_voltage_before_sending(expected_protocol):
    with expected_protocol(ScpiPowerSupply, []) as psu, pytest.raises(ValueError, match="voltage"):
        psu.voltage = 61


def test_error_queue_entry_raises_naming_the_command(expected_protocol):
    script = [(b"CURR 9.000,(@1)\n", b""),
              (b"SYST:ERR?\n", b'-222,"Data out of range"\n'), NO_ERROR]
    with expected_protocol(ScpiPowerSupply, script) as psu, \
            pytest.raises(InstrumentError) as info:
        psu.current_limit = 9
    err = info.value
    assert err.command == "CURR 9.000,(@1)"
    assert err.reply == "-222 Data out of range"
    assert err.resource == "SCRIPT::INSTR"


def test_unparsable_measurement_raises_with_reply(expected_protocol):
    script = [(b"MEAS:VOLT? (@1)\n", b"OVLD\n")]
    with expected_protocol(ScpiPowerSupply, script) as psu, \
            pytest.raises(InstrumentError, match="cannot parse") as info:
        psu.measured_voltage  # noqa: B018
    assert (info.value.command, info.value.reply) == ("MEAS:VOLT? (@1)", "OVLD")


def test_dmm_measurements(expected_protocol):
    script = [(b"MEAS:VOLT:DC?\n", b"+4.99912000E+00\n"), (b"MEAS:VOLT:AC?\n", b"+1.2E-03\n"),
              (b"MEAS:CURR:DC?\n", b"-1.0E-06\n"), (b"MEAS:RES?\n", b"+9.9E+37\n")]
    with expected_protocol(ScpiMultimeter, script) as dmm:
        assert dmm.dc_voltage == pytest.approx(4.99912)
        assert dmm.ac_voltage == pytest.approx(0.0012)
        assert dmm.dc_current == pytest.approx(-1e-6)
        assert dmm.resistance == pytest.approx(9.9e37)


def test_dmm_reset_clears_status(expected_protocol):
    script = [(b"*RST\n", b""), NO_ERROR, (b"*CLS\n", b""), NO_ERROR]
    with expected_protocol(ScpiMultimeter, script) as dmm:
        dmm.reset()
