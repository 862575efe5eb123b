"""An instrument that is not there: a few lines saying what, why and what to check.

Both instruments below fail to open in one plan run (a module-scoped fixture): each
test reads the lines pytest printed for its own case's setup error.
"""

from __future__ import annotations

import os

import pytest
from plan_support import Plan

from drivers.sim import PSU_RESOURCE

SILENT = PSU_RESOURCE.replace("psu.sim", "nothere.sim")


def failure_lines(output: str, test: str) -> list[str]:
    """The lines pytest prints for ``test``'s setup error, up to the next section."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if f"ERROR at setup of {test} " in line)
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith(("___", "===")))
    return lines[start + 1:end]


@pytest.fixture(scope="module")
def missing(tmp_path_factory):
    """One run: ``x`` a serial port that does not exist, ``y`` a VISA instrument that
    does not answer (on the simulated stand, each through its ``sim_resource``)."""
    root = tmp_path_factory.mktemp("missing")
    port = "COM97" if os.name == "nt" else str(root / "ttyUSB97")
    plan = Plan(root / "plan")
    plan.write("hardpy.toml", f'[stand]\nmode = "sim"\n'
                              f'[instruments.x]\ndriver = "drivers.dut.DutConsole"\n'
                              f'resource = {port!r}\nsim_resource = {port!r}\n'
                              f'[instruments.y]\ndriver = "drivers.psu.ScpiPowerSupply"\n'
                              f'resource = "X"\nsim_resource = "{SILENT}"\n')
    plan.write("test_x.py", "def test_uses_x(x):\n    pass\n\n\n"
                            "def test_uses_y(y):\n    pass\n")
    result = plan.pytest()
    assert result.returncode == 1, result.stdout + result.stderr
    return port, result


def test_a_missing_serial_port_reads_in_a_few_lines_and_lists_the_ports_there_are(missing):
    from serial.tools import list_ports

    port, result = missing
    lines = failure_lines(result.stdout, "test_uses_x")
    assert len(lines) == 4, "\n".join(lines)
    assert lines[0] == f"x: cannot open {port} (drivers.dut.DutConsole)"
    assert lines[1].startswith("  why: port not available") and port in lines[1]
    assert lines[2].startswith("  check: connected, switched on") and "[instruments.x]" in lines[2]
    assert lines[3].startswith("  serial ports on this PC: ")
    for existing in list_ports.comports():
        assert existing.device in lines[3]
    assert "During handling" not in result.stdout and "direct cause" not in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_a_visa_instrument_that_does_not_answer_names_the_resource_and_the_query(missing):
    _, result = missing
    lines = failure_lines(result.stdout, "test_uses_y")
    assert len(lines) == 3, "\n".join(lines)
    assert lines[0] == f"y: cannot open {SILENT} (drivers.psu.ScpiPowerSupply)"
    assert "no such resource" in lines[1]
    assert "During handling" not in result.stdout and "direct cause" not in result.stdout
