"""Transports against real pyserial / pyvisa(-sim) machinery: errors name everything."""

from __future__ import annotations

import os
import sys

import pytest
import serial

from bridge.errors import InstrumentError
from drivers.sim import DMM_RESOURCE, PSU_RESOURCE
from drivers.transport import SerialTransport, Transport, VisaTransport

# loop://, a pty and pyvisa-sim answer at once, but they read against a real clock: the
# timeout only bounds a failure, so it is long enough for a loaded CI machine (pyserial
# and pyvisa-sim cut a read short when the deadline passes mid-reply). A test that needs
# a timeout to happen uses a simulator, whose clock is virtual.
LOOP_TIMEOUT = 5.0

# -- serial -----------------------------------------------------------------------------


def test_serial_transport_speaks_through_any_pyserial_url():
    port = SerialTransport("loop://", timeout=LOOP_TIMEOUT)
    assert isinstance(port, Transport)
    assert port.query("PING") == "PING"  # loop:// echoes what was written
    port.write_bytes(b"\x02\x00")
    assert port.read_bytes(2) == b"\x02\x00"
    assert port.library == "pyserial" and port.library_version == serial.__version__
    port.close()


def test_serial_timeout_names_resource_command_and_partial_reply(bench):
    port = SerialTransport("dutsim://slot0", timeout=0.5, read_termination="\r\n")
    port.write("VER?")  # the board answers "\n"-terminated lines: wrong for this setting
    with pytest.raises(InstrumentError) as info:
        port.read_line()
    err = info.value
    assert (err.resource, err.command) == ("dutsim://slot0", "VER?")
    assert err.reply == b"BOOT SB-100 bootrom 2.1\nFW 1.0.0\nREADY\n> 1.0.0\nOK\n> "
    assert "timeout after 0.5 s: reply not terminated by b'\\r\\n'" in str(err)
    assert bench.clock.now() >= 0.5  # simulated seconds: no real wait, whatever the load


def test_serial_reply_that_does_not_decode_names_the_bytes():
    port = SerialTransport("loop://", timeout=LOOP_TIMEOUT)
    port.write_bytes(b"\xff\xfe\n")
    with pytest.raises(InstrumentError, match="not ascii") as info:
        port.read_line()
    assert info.value.reply == b"\xff\xfe\n"


def test_serial_command_that_does_not_encode_names_it():
    port = SerialTransport("loop://", timeout=LOOP_TIMEOUT)
    with pytest.raises(InstrumentError, match="command is not ascii") as info:
        port.query("VOLT 5 µV")
    assert (info.value.resource, info.value.command) == ("loop://", "VOLT 5 µV")


def test_serial_commands_that_vary_without_end_are_not_all_remembered():
    port = SerialTransport("loop://", timeout=LOOP_TIMEOUT)
    for step in range(1000):
        assert port.query(f"VOLT {step}") == f"VOLT {step}"
    assert len(port._encoded) <= 256


@pytest.mark.skipif(sys.platform == "win32", reason="pty is POSIX")
def test_serial_query_whose_terminated_reply_does_not_decode_names_the_bytes():
    import tty

    controller, device = os.openpty()  # a real tty: pyserial's own port class on it
    tty.setraw(device)
    port = SerialTransport(os.ttyname(device), timeout=LOOP_TIMEOUT)
    try:
        os.write(controller, b"\xff1.0\n> ")  # the answer waits in the line already
        with pytest.raises(InstrumentError, match="reply is not ascii") as info:
            port.query("VER?", "> ")
        assert (info.value.command, info.value.reply) == ("VER?", b"\xff1.0\n> ")
        assert os.read(controller, 64) == b"VER?\n"
    finally:
        port.close()
        os.close(controller)
        os.close(device)


def test_serial_port_that_does_not_exist_fails_at_once_naming_it():
    with pytest.raises(InstrumentError) as info:
        SerialTransport("/dev/ttyDOES-NOT-EXIST-9")
    assert info.value.resource == "/dev/ttyDOES-NOT-EXIST-9"
    assert info.value.command == "open"


def test_hwgrep_without_a_matching_device_is_an_error_naming_the_url():
    with pytest.raises(InstrumentError, match="port not available") as info:
        SerialTransport("hwgrep://NO-SUCH-USB-SERIAL-123")
    assert info.value.resource == "hwgrep://NO-SUCH-USB-SERIAL-123"


def test_unknown_url_scheme_is_refused_without_waiting():
    with pytest.raises(InstrumentError, match="cannot open port"):
        SerialTransport("nosuch://x", wait_for_port=100)


def test_waiting_for_a_port_is_bounded(bench):
    bench.unplug("late", until=2.0)  # the board's USB bridge appears 2 s after power-on
    with pytest.raises(InstrumentError, match="after waiting 1 s"):
        SerialTransport("dutsim://late", wait_for_port=1.0,
                        clock=bench.clock.now, sleep=bench.clock.advance)
    port = SerialTransport("dutsim://late", wait_for_port=5.0,
                           clock=bench.clock.now, sleep=bench.clock.advance)
    assert port.read_line("> ").startswith("BOOT")
    assert 2.0 <= bench.clock.now() < 3.0


def test_port_that_vanishes_mid_run_raises_naming_the_last_command(bench):
    port = SerialTransport("dutsim://slot0", timeout=0.5)
    port.read_line("> ")  # boot banner
    bench.inject("slot0", "vanish")
    port.write("VER?")
    with pytest.raises(InstrumentError, match="read failed") as info:
        port.read_line("> ")
    assert (info.value.resource, info.value.command) == ("dutsim://slot0", "VER?")
    with pytest.raises(InstrumentError, match="write failed"):
        port.write("VER?")
    port.close()  # closing a vanished port is not an error


# -- VISA -------------------------------------------------------------------------------


@pytest.mark.parametrize("resource", [PSU_RESOURCE, DMM_RESOURCE, "ASRL7::INSTR",
                                      "GPIB0::22::INSTR", "TCPIP0::dmm.sim::inst0::INSTR"])
def test_visa_transport_opens_every_interface_type(sim_backend, resource):
    visa = VisaTransport(resource, backend=sim_backend, timeout=LOOP_TIMEOUT)
    assert visa.query("*IDN?").startswith("SIMULATED,")
    assert visa.library == "pyvisa"
    visa.close()


def test_unparsable_visa_resource_names_it_and_pyvisa_s_complaint(sim_backend):
    with pytest.raises(InstrumentError, match="not a VISA resource string") as info:
        VisaTransport("TCPIP::::nonsense::", backend=sim_backend)
    assert info.value.resource == "TCPIP::::nonsense::"
    assert info.value.reply
    with pytest.raises(ValueError, match="not a VISA resource"):
        VisaTransport.check_resource("COM3")


def test_visa_resource_nobody_answers_at(sim_backend):
    with pytest.raises(InstrumentError, match="cannot open") as info:
        VisaTransport("TCPIP0::10.9.9.9::5025::SOCKET", backend=sim_backend)
    assert info.value.command == "open"


def test_visa_timeout_is_virtual_and_names_the_command(bench, sim_backend):
    visa = VisaTransport(PSU_RESOURCE, backend=sim_backend, timeout=2.0)
    bench.inject(PSU_RESOURCE, "silent")
    with pytest.raises(InstrumentError, match="timeout after 2 s") as info:
        visa.query("*IDN?")
    assert (info.value.resource, info.value.command) == (PSU_RESOURCE, "*IDN?")
    assert bench.clock.now() == pytest.approx(2.0)  # two simulated seconds, no real ones


def test_visa_garbage_reply_names_the_bytes(bench, sim_backend):
    visa = VisaTransport(PSU_RESOURCE, backend=sim_backend)
    bench.inject(PSU_RESOURCE, "garbage")
    with pytest.raises(InstrumentError) as info:
        visa.query("*IDN?")
    assert info.value.command == "*IDN?"
    assert isinstance(info.value.reply, bytes) and info.value.reply.startswith(b"\x8f")
    visa.flush()  # pyvisa-sim has no viClear: nothing to drop, and no error for it
    assert visa.query("*IDN?").startswith("SIMULATED")


def test_visa_slow_answer_within_the_timeout_arrives(bench, sim_backend):
    visa = VisaTransport(PSU_RESOURCE, backend=sim_backend, timeout=LOOP_TIMEOUT)
    bench.inject(PSU_RESOURCE, "slow", 2.0)
    assert visa.query("*IDN?").startswith("SIMULATED")
    assert bench.clock.now() == pytest.approx(2.0)
    bench.inject(PSU_RESOURCE, "slow", LOOP_TIMEOUT + 2.0)
    with pytest.raises(InstrumentError, match="timeout"):
        visa.query("*IDN?")


def test_unscripted_query_fails_loudly_at_once(sim_backend, bench):
    visa = VisaTransport(DMM_RESOURCE, backend=sim_backend, timeout=5.0)
    with pytest.raises(InstrumentError, match="no answer scripted") as info:
        visa.query("CONF:FREQ?")
    assert (info.value.resource, info.value.command) == (DMM_RESOURCE, "CONF:FREQ?")
    assert bench.clock.now() == 0.0  # not even a simulated timeout
