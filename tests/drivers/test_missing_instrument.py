"""An instrument that is not there: a few lines saying what, why and what to check."""

from __future__ import annotations

import os

from plan_support import Plan

from drivers.sim import PSU_RESOURCE


def failure_lines(output: str) -> list[str]:
    """The lines pytest prints for the first setup error, up to the next section."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if "ERROR at setup of" in line)
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith(("___", "===")))
    return lines[start + 1:end]


def run(tmp_path, section: str, mode: str = "real"):
    plan = Plan(tmp_path / "plan")
    plan.write("hardpy.toml", f'[stand]\nmode = "{mode}"\n[instruments.x]\n{section}\n')
    plan.write("test_x.py", "def test_uses_it(x):\n    pass\n")
    return plan.pytest()


def test_a_missing_serial_port_reads_in_a_few_lines_and_lists_the_ports_there_are(tmp_path):
    from serial.tools import list_ports

    port = "COM97" if os.name == "nt" else str(tmp_path / "ttyUSB97")
    result = run(tmp_path, f'driver = "drivers.dut.DutConsole"\nresource = {port!r}')
    assert result.returncode == 1, result.stdout + result.stderr
    lines = failure_lines(result.stdout)
    assert len(lines) == 4, "\n".join(lines)
    assert lines[0] == f"x: cannot open {port} (drivers.dut.DutConsole)"
    assert lines[1].startswith("  why: port not available") and port in lines[1]
    assert lines[2].startswith("  check: connected, switched on") and "[instruments.x]" in lines[2]
    assert lines[3].startswith("  serial ports on this PC: ")
    for existing in list_ports.comports():
        assert existing.device in lines[3]
    assert "During handling" not in result.stdout and "direct cause" not in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_a_visa_instrument_that_does_not_answer_names_the_resource_and_the_query(tmp_path):
    silent = PSU_RESOURCE.replace("psu.sim", "nothere.sim")
    result = run(tmp_path, f'driver = "drivers.psu.ScpiPowerSupply"\nresource = "X"\n'
                           f'sim_resource = "{silent}"', mode="sim")
    assert result.returncode == 1, result.stdout + result.stderr
    lines = failure_lines(result.stdout)
    assert len(lines) == 3, "\n".join(lines)
    assert lines[0] == f"x: cannot open {silent} (drivers.psu.ScpiPowerSupply)"
    assert "no such resource" in lines[1]
    assert "During handling" not in result.stdout and "direct cause" not in result.stdout
