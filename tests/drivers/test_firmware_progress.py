"""Firmware programming: progress (bytes, chunks, retries) on a terminal, and its duration."""

from __future__ import annotations

import hashlib
import os
import sys

import pytest
from plan_support import Plan, on_a_terminal

from drivers.dut import DutConsole, ProgramProgress, frame
from drivers.sim import make_image


def test_progress_is_told_of_bytes_chunks_and_retries_after_every_frame(expected_protocol):
    image = bytes(range(256)) * 2 + b"tail"  # frames of 256, 256, 4 bytes, then the end
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
    heard: list[ProgramProgress] = []
    with expected_protocol(DutConsole, script) as dut:
        dut.progress = heard.append
        result = dut.program(image)
    assert [(p.sent, p.chunk, p.retries) for p in heard] == [
        (256, 1, 0), (256, 1, 1), (512, 2, 1), (516, 3, 1), (516, 4, 1)]
    assert {(p.size, p.chunks) for p in heard} == {(516, 4)}
    assert heard[-1].line() == "firmware 100% 516/516 bytes, chunk 4/4, 1 retry"
    assert result.seconds > 0
    assert result.as_info()["firmware_programming_s"] == round(result.seconds, 3)


PLAN_TOML = """
    [stand]
    mode = "sim"
    [instruments.psu]
    driver = "drivers.psu.ScpiPowerSupply"
    resource = "TCPIP0::192.168.10.21::5025::SOCKET"
    [instruments.dut]
    driver = "drivers.dut.DutConsole"
    resource = "COM3"
"""

PLAN_TEST = """
    import bridge
    from drivers.sim import make_image

    def test_program(psu, dut):
        psu.voltage = 5.0
        psu.output = True
        dut.wait_for_boot()
        result = dut.program(make_image("2.0.0", 6000))
        bridge.set_dut_info(result.as_info())
"""


def firmware_plan(tmp_path) -> Plan:
    plan = Plan(tmp_path / "plan")
    plan.write("hardpy.toml", PLAN_TOML)
    plan.write("test_program.py", PLAN_TEST)
    return plan


@pytest.mark.skipif(sys.platform == "win32", reason="pty is POSIX")
def test_on_a_terminal_programming_shows_progress_and_the_run_records_its_duration(tmp_path):
    plan = firmware_plan(tmp_path)
    with open(os.devnull, "rb") as nothing:
        code, text = on_a_terminal(lambda terminal: plan.pytest_on(
            stdin=nothing.fileno(), stdout=terminal, stderr=terminal))
    assert code == 0, text
    size = len(make_image("2.0.0", 6000))
    chunks = -(-size // 256) + 1
    assert f"dut: firmware 100% {size:,}/{size:,} bytes, chunk {chunks}/{chunks}, 0 retries" \
        in text
    info = plan.export()["dut"]["info"]
    assert info["firmware_programming_s"] > 0


def test_without_a_terminal_programming_prints_no_progress(tmp_path):
    plan = firmware_plan(tmp_path)
    result = plan.pytest()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "firmware 100%" not in result.stdout + result.stderr
