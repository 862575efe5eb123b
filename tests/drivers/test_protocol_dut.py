"""Exact bytes of the DUT console and its bootloader."""

from __future__ import annotations

import hashlib
import zlib

import pytest

from bridge.errors import FirmwareError, InstrumentError
from drivers.dut import DutConsole, frame
from drivers.testing import ScriptedTransport


def test_identity_comes_from_id_and_version_queries(expected_protocol):
    script = [(b"ID?\n", b"SB-100,A2,SB0001234\nOK\n> "), (b"VER?\n", b"1.0.0\nOK\n> ")]
    with expected_protocol(DutConsole, script) as dut:
        ident = dut.identify()
    assert (ident.model, ident.serial, ident.firmware) == ("SB-100", "SB0001234", "1.0.0")


def test_err_status_raises_firmware_error_with_code_text_command_reply(expected_protocol):
    script = [(b"ADC? 5V0\n", b"ERR 3 unknown rail 5V0\n> ")]
    with expected_protocol(DutConsole, script) as dut, pytest.raises(FirmwareError) as info:
        dut.adc("5V0")
    err = info.value
    assert (err.code, err.text) == (3, "unknown rail 5V0")
    assert err.command == "ADC? 5V0"
    assert err.reply == "ERR 3 unknown rail 5V0\n"


def test_self_test_lines_become_verdicts(expected_protocol):
    script = [(b"SELFTEST\n", b"PASS ram\nPASS flash\nOK\n> ")]
    with expected_protocol(DutConsole, script) as dut:
        assert dut.self_test() == {"ram": True, "flash": True}


def test_adc_and_test_point(expected_protocol):
    script = [(b"TP 3V3\n", b"OK\n> "), (b"ADC? VIN\n", b"4.998\nOK\n> ")]
    with expected_protocol(DutConsole, script) as dut:
        dut.test_point("3V3")
        assert dut.adc("VIN") == pytest.approx(4.998)


def test_reply_without_status_line_is_malformed(expected_protocol):
    script = [(b"VER?\n", b"1.0.0\rOK\r> ")]  # CR line ends: not this firmware's protocol
    with expected_protocol(DutConsole, script) as dut, pytest.raises(InstrumentError) as info:
        dut.version()
    assert "malformed" in str(info.value)
    assert info.value.reply == "1.0.0\rOK\r"


@pytest.mark.parametrize(("reply", "count"), [(b"OK\n> ", 0), (b"1.0.0\nextra\nOK\n> ", 2)])
def test_query_wants_exactly_one_data_line(expected_protocol, reply, count):
    with expected_protocol(DutConsole, [(b"VER?\n", reply)]) as dut, \
            pytest.raises(InstrumentError, match=f"expected one data line, got {count}") as info:
        dut.version()
    assert info.value.command == "VER?"


def test_query_answered_by_err_raises_firmware_error(expected_protocol):
    with expected_protocol(DutConsole, [(b"VER?\n", b"ERR 7 busy\n> ")]) as dut, \
            pytest.raises(FirmwareError) as info:
        dut.version()
    assert (info.value.code, info.value.text, info.value.command) == (7, "busy", "VER?")


def test_a_shared_lock_is_held_around_each_command_and_released(expected_protocol, tmp_path):
    from drivers.lock import SharedLock
    from drivers.sim.interleave import InterleaveChecker

    checker = InterleaveChecker(tmp_path / "dut.probe")
    script = [(b"VER?\n", b"1.0.0\nOK\n> "), (b"TP 9V\n", b"ERR 3 unknown rail 9V\n> ")]
    with expected_protocol(DutConsole, script) as dut:
        dut.lock = SharedLock(tmp_path / "dut.lock", checker)
        assert dut.version() == "1.0.0"
        with pytest.raises(FirmwareError):
            dut.test_point("9V")
    assert (checker.transactions, checker.violations) == (2, 0)
    assert dut.lock._depth == 0  # free again after the firmware error


def test_reset_waits_for_the_boot_banner(expected_protocol):
    script = [(b"RESET\n", b"BOOT SB-100 bootrom 2.1\nFW 1.0.0\nREADY\n> ")]
    with expected_protocol(DutConsole, script) as dut:
        dut.reset()


def _image() -> bytes:
    return bytes(range(256)) * 2 + b"tail"  # 516 bytes: chunks of 256, 256, 4


def test_programming_sends_framed_chunks_with_crc_and_waits_for_acks(expected_protocol):
    image = _image()
    sha = hashlib.sha256(image).hexdigest()
    head = bytes([0x02, 0, 0, 1, 0])  # STX, seq 0, len 256
    first = head + image[:256] + zlib.crc32(head[1:] + image[:256]).to_bytes(4, "big")
    assert frame(0, image[:256]) == first  # the frame layout, spelled out once
    script = [
        (f"PROG {len(image)} {sha}\n".encode(), b"OK\n> "),
        (first, b"\x06\x00\x00"),
        (frame(1, image[256:512]), b"\x06\x00\x01"),
        (frame(2, image[512:]), b"\x06\x00\x02"),
        (frame(3, b""), b"\x06\x00\x03BOOT SB-100 bootrom 2.1\nFW 1.1.0\nREADY\n> "),
        (b"VER?\n", b"1.1.0\nOK\n> "),
    ]
    with expected_protocol(DutConsole, script) as dut:
        result = dut.program(image)
    assert result.sha256 == sha
    assert result.version == "1.1.0"
    assert (result.chunks, result.retries) == (4, 0)
    assert result.as_info()["firmware_sha256"] == sha


def test_programming_resumes_from_the_sequence_a_nak_names(expected_protocol):
    image = _image()
    sha = hashlib.sha256(image).hexdigest()
    script = [
        (f"PROG {len(image)} {sha}\n".encode(), b"OK\n> "),
        (frame(0, image[:256]), b"\x06\x00\x00"),
        (frame(1, image[256:512]), b"\x15\x00\x01"),  # CRC failed: send 1 again
        (frame(1, image[256:512]), b"\x06\x00\x01"),
        (frame(2, image[512:]), b"\x06\x00\x02"),
        (frame(3, b""), b"\x06\x00\x03BOOT x\nREADY\n> "),
        (b"VER?\n", b"1.1.0\nOK\n> "),
    ]
    with expected_protocol(DutConsole, script) as dut:
        assert dut.program(image).retries == 1


def test_rejected_image_raises_firmware_error(expected_protocol):
    image = b"x" * 10
    sha = hashlib.sha256(image).hexdigest()
    script = [(f"PROG 10 {sha}\n".encode(), b"OK\n> "),
              (frame(0, image), b"\x06\x00\x00"), (frame(1, b""), b"\x15\xff\xff> ")]
    with expected_protocol(DutConsole, script) as dut, pytest.raises(FirmwareError) as info:
        dut.program(image)
    assert info.value.command == f"PROG 10 {sha}"
    assert info.value.reply == b"\x15\xff\xff"


def test_bootloader_that_keeps_nak_ing_gives_up(expected_protocol):
    image = b"y" * 4
    sha = hashlib.sha256(image).hexdigest()
    script = [(f"PROG 4 {sha}\n".encode(), b"OK\n> ")]
    script += [(frame(0, image), b"\x15\x00\x00")] * 3
    with expected_protocol(DutConsole, script, max_retries=2) as dut, \
            pytest.raises(InstrumentError, match="gave up on frame 0") as info:
        dut.program(image)
    assert info.value.reply == b"\x15\x00\x00"


def test_the_protocol_helper_fails_when_an_exchange_is_left_unused(expected_protocol):
    with pytest.raises(AssertionError, match="never used"), \
            expected_protocol(DutConsole, [(b"VER?\n", b"1.0\nOK\n> ")]):
        pass


def test_the_protocol_helper_fails_on_unexpected_bytes():
    dut = DutConsole(ScriptedTransport([(b"VER?\n", b"1.0\nOK\n> ")]))
    with pytest.raises(AssertionError, match="script expects"):
        dut.command("ID?")
