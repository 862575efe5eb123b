"""[instruments.*] as fixtures, in real pytest runs of a plan in a tmp folder.

A little over 300 lines: the plans' texts (config, conftest, cases, faults) sit beside the
tests that run them, so each test reads with the plan it runs.
"""

from __future__ import annotations

import json
import sys
import textwrap

import pytest
from plan_support import Plan

INSTRUMENTS = """
    [instruments.psu]
    driver = "drivers.psu.ScpiPowerSupply"
    resource = "TCPIP0::192.168.10.21::5025::SOCKET"
    channel = 1

    [instruments.dmm]
    driver = "drivers.dmm.ScpiMultimeter"
    resource = "USB0::0x2A8D::0x1301::MY60012345::INSTR"

    [instruments.dut]
    driver = "drivers.dut.DutConsole"
    resource = "/dev/ttyUSB0"
    {dut_extra}
"""

# Asks the simulator, after everything else, whether the supply was left on.
CONFTEST = """
    import json

    def pytest_unconfigure(config):
        from drivers.sim.workbench import BENCH
        if BENCH._lib is not None:
            state = {ch: BENCH.psu_state(ch)["output"] for ch in (1, 2, 3)}
            with open("supply_at_exit.json", "w") as out:
                json.dump(state, out)
"""

POWER_ON = """
    def power_on(psu, dut):
        psu.voltage = 5.0
        psu.output = True
        dut.wait_for_boot()
"""


def source(tests: str) -> str:
    return "import bridge\n" + textwrap.dedent(POWER_ON) + textwrap.dedent(tests)


def make_plan(tmp_path, tests: str, *, dut_extra: str = "", extra: str = "",
              mode: str = "sim"):
    plan = Plan(tmp_path / "plan")
    plan.write("hardpy.toml", f'title = "fixtures"\n[stand]\nmode = "{mode}"\n'
               + INSTRUMENTS.format(dut_extra=dut_extra) + extra)
    plan.write("conftest.py", CONFTEST)
    plan.write("test_plan.py", source(tests))
    return plan


def supply_left_on(plan) -> list[str]:
    state = json.loads((plan.root / "supply_at_exit.json").read_text())
    return [channel for channel, output in state.items() if output]


# One stand session that several tests below inspect, each its own module of the plan
# (a pytest process and an export cost seconds; a stand session here costs one).
# `rehearse` is a second board whose URL queues a fault for its first command; `absent`
# is an instrument nobody answers at.
SHARED_EXTRA = """
    [instruments.rehearse]
    driver = "drivers.dut.DutConsole"
    resource = "/dev/ttyUSB1"
    sim_resource = "dutsim://slot1?channel=1&fault=garbage"

    [instruments.absent]
    driver = "drivers.dmm.ScpiMultimeter"
    resource = "USB0::0x2A8D::0x1301::MY60012345::INSTR"
    sim_resource = "TCPIP0::nobody.sim::INSTR"
"""

SESSION = """
    def test_one(psu, dmm, dut):
        power_on(psu, dut)
        dut.identify()
        assert abs(dmm.dc_voltage - 5.0) < 0.01

    def test_two(psu, dut):
        assert psu.output is True   # the same session objects, still on
        assert dut.version() == "1.0.0"
"""

REHEARSE = """
    def test_version(psu, rehearse):
        power_on(psu, rehearse)
        rehearse.version()
"""

ABSENT = """
    def test_needs_all(psu, absent):
        pass
"""

FAULTS = """
    import pytest
    from drivers.sim.workbench import BENCH

    PSU = "TCPIP0::psu.sim::5025::SOCKET"

    @pytest.fixture(autouse=True)
    def powered(psu, dut):
        if not psu.output:
            power_on(psu, dut)

    @pytest.mark.parametrize("fault", ["silent", "garbage", "truncate", "wrong_eol",
                                       "reset"])
    def test_dut_fault(dut, fault):
        BENCH.inject("slot0", fault)
        try:
            dut.version()
        finally:
            if fault == "reset":
                assert dut.version() == "1.0.0"

    def test_firmware_err(dut):
        dut.adc("5V0")

    def test_error_queue(psu):
        psu.current_limit = 5.0

    def test_supply_timeout(psu):
        BENCH.inject(PSU, "silent")
        psu.measured_voltage

    def test_supply_garbage(psu):
        BENCH.inject(PSU, "garbage")
        psu.measured_voltage

    def test_zz_port_vanishes(dut):
        BENCH.inject("slot0", "vanish")
        dut.version()
"""


class SharedRun:
    """The plan, pytest's result and the stored run's export, of the shared session."""

    def __init__(self, plan: Plan):
        self.plan = plan
        self.result = plan.pytest()
        self.report = plan.export()
        self.supply_left_on = supply_left_on(plan)

    def cases(self, module: str) -> dict:
        return self.report["modules"][module]["cases"]


@pytest.fixture(scope="module")
def shared(tmp_path_factory) -> SharedRun:
    plan = make_plan(tmp_path_factory.mktemp("shared"), SESSION, extra=SHARED_EXTRA)
    plan.root.joinpath("test_plan.py").rename(plan.root / "test_a_session.py")
    for name, tests in (("test_b_rehearse", REHEARSE), ("test_c_absent", ABSENT),
                        ("test_d_faults", FAULTS)):
        plan.write(f"{name}.py", source(tests))
    run = SharedRun(plan)
    assert run.result.returncode == 1, run.result.stdout + run.result.stderr  # cases failed
    return run


def test_each_instrument_is_a_session_fixture_and_its_identity_is_recorded(shared):
    cases = shared.cases("test_a_session")
    assert {name: case["status"] for name, case in cases.items()} == {
        "test_one": "passed", "test_two": "passed"}, cases
    stand = shared.report["test_stand"]
    assert set(stand["drivers"]) == {"psu", "dmm", "dut", "rehearse"}  # absent never opened
    assert stand["drivers"]["psu"]["model"] == "PSU-3CH"
    assert stand["drivers"]["dut"]["serial"].startswith("SB")
    by_name = {i["name"]: i for i in stand["instruments"]}
    assert by_name["dmm"]["serial_number"] == "SIM-DMM-0001"
    assert by_name["dmm"]["info"]["driver"] == "drivers.dmm.ScpiMultimeter"
    assert by_name["dut"]["part_number"] == "SB-100"
    assert shared.supply_left_on == []


def start_error(plan: Plan, mode: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The message pytest stops with at start (exit 4, on stderr) for this plan's
    [instruments]: bridge.plugin raises a UsageError of the plugin's ConfigError.
    Built in this process: the pytest path itself is
    test_a_misconfigured_instrument_stops_pytest_before_any_case."""
    import types

    from bridge.config import load_config
    from bridge.errors import ConfigError
    from bridge.instruments import InstrumentsPlugin

    monkeypatch.setattr(sys, "path", list(sys.path))  # the plugin puts the plan's folder on it
    # As in a plain pytest process: this test's own xdist worker would pick a slot.
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    config = types.SimpleNamespace(
        pluginmanager=types.SimpleNamespace(register=lambda *args: None))
    with pytest.raises(ConfigError) as info:
        InstrumentsPlugin(load_config(plan.root / "hardpy.toml"), config, mode)
    return str(info.value)


def test_a_misconfigured_instrument_stops_pytest_before_any_case(tmp_path):
    plan = make_plan(tmp_path, "def test_x(): pass\n",
                     extra='\n[instruments.bad]\ndriver = "drivers.psu.ScpiPowerSupply"\n'
                           'resource = "X"\nchanel = 2\n')
    result = plan.pytest()
    assert result.returncode == 4, result.stdout + result.stderr  # usage error, no case ran
    assert "instruments.bad.chanel" in result.stderr
    assert "hardpy.toml" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(("section", "key"), [
    ('driver = "drivers.psu.NoSuchSupply"', "instruments.bad.driver"),
    ('driver = "nowhere.Supply"', "instruments.bad.driver"),
    ('driver = "drivers.transport.VisaTransport"', "instruments.bad.driver"),
    ('driver = "drivers.psu.ScpiPowerSupply"\nresource = "X"\nchanel = 2',
     "instruments.bad.chanel"),
    ('driver = "drivers.psu.ScpiPowerSupply"\nresource = "X"\nchannel = "two"',
     "instruments.bad.channel"),
])
def test_misconfigured_instrument_fails_at_start_naming_the_key(tmp_path, monkeypatch, section,
                                                                 key):
    plan = make_plan(tmp_path, "def test_x(): pass\n", extra=f"\n[instruments.bad]\n{section}\n")
    message = start_error(plan, "sim", monkeypatch)
    assert key in message
    assert "hardpy.toml" in message


def test_slot_naming_an_unknown_instrument_fails_at_start(tmp_path, monkeypatch):
    plan = make_plan(tmp_path, "def test_x(): pass\n",
                     extra='\n[slots.a]\nscope = { channel = 2 }\n')
    message = start_error(plan, "sim", monkeypatch)
    assert "slots.a.scope" in message and "no such instrument" in message


def test_unparsable_resource_on_the_real_stand_fails_at_start(tmp_path, monkeypatch):
    plan = make_plan(tmp_path, "def test_x(): pass\n", mode="real",
                     extra='\n[instruments.scope]\ndriver = "drivers.dmm.ScpiMultimeter"\n'
                           'resource = "TCPIP::::5025"\n')
    message = start_error(plan, "real", monkeypatch)
    assert "instruments.scope.resource" in message
    assert "not a VISA resource string" in message


def test_failing_instrument_fails_the_case_with_resource_command_reply_and_supply_ends_off(
        shared):
    case = shared.cases("test_b_rehearse")["test_version"]
    assert case["status"] == "failed"
    message = case["assertion_msg"]
    assert "InstrumentError" in message
    assert "resource=dutsim://slot1?channel=1&fault=garbage" in message
    assert "command='VER?'" in message and "reply=b'\\x8f" in message
    assert shared.supply_left_on == []


def test_critical_stop_and_ctrl_c_still_leave_the_supply_off(tmp_path):
    plan = make_plan(tmp_path, """
        import pytest

        @pytest.mark.critical
        def test_critical(psu, dut):
            power_on(psu, dut)
            dut.command("SELF-DESTRUCT")

        def test_skipped(psu):
            pass
    """)
    result = plan.pytest()
    assert result.returncode == 1
    report = plan.export()
    cases = report["modules"]["test_plan"]["cases"]
    assert cases["test_critical"]["status"] == "failed"
    assert "firmware error 1" in cases["test_critical"]["assertion_msg"]
    assert cases["test_skipped"]["status"] == "skipped"
    assert supply_left_on(plan) == []

    plan.write("test_plan.py", source("""
        def test_interrupted(psu, dut):
            power_on(psu, dut)
            raise KeyboardInterrupt
    """))
    result = plan.pytest()
    assert result.returncode == 2  # interrupted
    assert supply_left_on(plan) == []


def test_an_instrument_that_cannot_open_errors_the_case_and_the_others_close(shared):
    case = shared.cases("test_c_absent")["test_needs_all"]
    assert case["status"] == "error"
    assert "TCPIP0::nobody.sim::INSTR" in case["assertion_msg"]
    assert shared.supply_left_on == []


def test_every_bad_input_fails_its_case_with_its_error_and_the_supply_ends_off(shared):
    """One stand session; each case meets one fault. The run records each case as
    failed with a message naming resource, command and reply."""
    cases = shared.cases("test_d_faults")
    assert len(cases) == 10
    expected = {
        "silent": "no reply", "garbage": "not terminated", "truncate": "not terminated",
        "wrong_eol": "malformed", "reset": "reset during the command",
    }
    for fault, text in expected.items():
        case = cases[f"test_dut_fault[{fault}]"]
        assert case["status"] == "failed", case
        assert text in case["assertion_msg"]
        assert "resource=dutsim://slot0?channel=1" in case["assertion_msg"]
        assert "command='VER?'" in case["assertion_msg"] and "reply=" in case["assertion_msg"]
    assert "FirmwareError: firmware error 3: unknown rail 5V0" in cases["test_firmware_err"][
        "assertion_msg"]
    assert "command='CURR 5.000,(@1)'; reply='-100 Command error'" in cases[
        "test_error_queue"]["assertion_msg"]
    assert "command='MEAS:VOLT? (@1)'" in cases["test_supply_timeout"]["assertion_msg"]
    assert "reply=b'\\x8f" in cases["test_supply_garbage"]["assertion_msg"]
    assert "disconnected" in cases["test_zz_port_vanishes"]["assertion_msg"]
    assert shared.supply_left_on == []
