"""One test over every driver: documented, built alike, identity recorded on open."""

from __future__ import annotations

import inspect

import pytest

from drivers.base import Driver
from drivers.dmm import ScpiMultimeter
from drivers.dut import DutConsole
from drivers.psu import ScpiPowerSupply
from drivers.scpi import measurement
from drivers.sim.workbench import BENCH

DRIVERS = [ScpiPowerSupply, ScpiMultimeter, DutConsole]
METADATA_KEYS = {"manufacturer", "model", "serial", "firmware", "resource", "driver",
                 "driver_version", "transport", "transport_version"}


def test_every_driver_in_the_package_is_covered_here():
    import importlib
    import pkgutil

    import drivers

    found = set()
    for module in pkgutil.iter_modules(drivers.__path__):
        mod = importlib.import_module(f"drivers.{module.name}")
        found |= {obj for obj in vars(mod).values() if isinstance(obj, type)
                  and issubclass(obj, Driver) and obj.__module__ == mod.__name__
                  and obj.SIM_RESOURCE}
    assert found == set(DRIVERS)


@pytest.mark.parametrize("driver_cls", DRIVERS)
def test_driver_is_documented(driver_cls):
    assert inspect.getdoc(driver_cls)
    for name, member in vars(driver_cls).items():
        if name.startswith("_"):
            continue
        if isinstance(member, measurement) or callable(member) or isinstance(member, property):
            assert inspect.getdoc(member), f"{driver_cls.__name__}.{name} has no docstring"


@pytest.mark.parametrize("driver_cls", DRIVERS)
def test_every_setting_and_reading_declares_its_unit(driver_cls):
    """A driver reads like a spec sheet: ``""`` for a switch, never left out."""
    declared = {name: member.unit for klass in driver_cls.__mro__
                for name, member in vars(klass).items() if isinstance(member, measurement)}
    assert {name for name, unit in declared.items() if unit is None} == set()
    assert all(unit in inspect.getdoc(getattr(driver_cls, name)) for name, unit in
               declared.items())


def test_units_are_the_spec_sheet_s():
    assert {name: getattr(ScpiPowerSupply, name).unit for name in (
        "voltage", "current_limit", "output", "measured_voltage", "measured_current")} == {
        "voltage": "V", "current_limit": "A", "output": "", "measured_voltage": "V",
        "measured_current": "A"}
    assert ScpiMultimeter.resistance.unit == "Ohm"


@pytest.mark.parametrize("driver_cls", DRIVERS)
def test_driver_constructor_and_open_are_uniform(driver_cls):
    init = inspect.signature(driver_cls.__init__)
    assert list(init.parameters) == ["self", "transport", "options"]
    opener = inspect.signature(driver_cls.open)
    assert list(opener.parameters) == ["resource", "lock", "options"]
    assert driver_cls.SIM_RESOURCE
    with pytest.raises(TypeError, match="unknown option"):
        driver_cls(object(), no_such_option=1)


@pytest.mark.parametrize("driver_cls", DRIVERS)
def test_options_are_one_typed_model_whose_transport_part_the_transport_takes(driver_cls):
    import dataclasses

    from drivers.options import DriverOptions

    model = driver_cls.Options
    assert issubclass(model, DriverOptions) and dataclasses.is_dataclass(model)
    assert model.__dataclass_params__.frozen
    types = model.types()
    assert set(types.values()) <= {int, float, bool, str}
    assert set(model.transport_names()) <= set(types)
    defaults = model()
    assert all(isinstance(getattr(defaults, name), kind if kind is not float else (int, float))
               for name, kind in types.items())


@pytest.mark.parametrize(("options", "message"), [
    ({"chanel": 2}, "ScpiPowerSupply.chanel: unknown option for ScpiPowerSupply; accepted: "
                    "backend, channel, check_errors, read_termination, timeout, "
                    "write_termination"),
    ({"channel": "two"}, "ScpiPowerSupply.channel: expected int, got 'two'"),
    ({"channel": 1.5}, "ScpiPowerSupply.channel: expected int, got 1.5"),
    ({"channel": True}, "ScpiPowerSupply.channel: expected int, got True"),
    ({"check_errors": 1}, "ScpiPowerSupply.check_errors: expected bool, got 1"),
    ({"timeout": "3"}, "ScpiPowerSupply.timeout: expected float, got '3'"),
])
def test_a_bad_option_is_refused_once_naming_it(options, message):
    from drivers.options import OptionError
    from drivers.testing import ScriptedTransport

    with pytest.raises(OptionError) as info:
        ScpiPowerSupply(ScriptedTransport([]), **options)
    assert str(info.value) == message
    assert info.value.option == next(iter(options))
    with pytest.raises(OptionError, match="^" + message.replace("(", r"\(")):
        ScpiPowerSupply.open("TCPIP0::1.2.3.4::5025::SOCKET", **options)  # before it opens


def test_an_int_is_a_float_option_and_options_are_read_as_attributes(expected_protocol):
    with expected_protocol(DutConsole, [], timeout=3, chunk_size=128) as dut:
        assert (dut.options.timeout, dut.options.chunk_size) == (3, 128)
        assert dut.options.boot_timeout == 5.0


@pytest.mark.parametrize("driver_cls", DRIVERS)
def test_opening_a_driver_yields_its_full_identity(bench, driver_cls):
    resource = driver_cls.SIM_RESOURCE.format(slot="meta").replace("?channel=1", "")
    heard = []
    with driver_cls.open(resource, **BENCH.sim_options(driver_cls)) as driver:
        driver.identity_listeners.append(heard.append)
        if not driver.identified:
            driver.wait_for_boot()
        ident = driver.identify()
        meta = driver.metadata()
    assert heard == [driver]
    assert set(meta) == METADATA_KEYS
    assert meta["model"] == ident.model and ident.model
    assert meta["serial"] and meta["firmware"]
    assert meta["driver"] == f"{driver_cls.__module__}.{driver_cls.__name__}"
    assert meta["transport"] in ("pyvisa", "pyserial") and meta["transport_version"]
    assert meta["resource"] == resource


def test_a_driver_whose_open_fails_leaves_no_session_open(bench, sim_backend):
    lib = bench._lib
    before = len(lib.sessions)
    bench.inject(ScpiPowerSupply.SIM_RESOURCE, "silent")  # *IDN? never answered
    with pytest.raises(Exception, match="timeout"):
        ScpiPowerSupply.open(ScpiPowerSupply.SIM_RESOURCE, **BENCH.sim_options(ScpiPowerSupply))
    assert len(lib.sessions) == before


@pytest.mark.parametrize("driver_cls", DRIVERS)
def test_a_misspelled_attribute_is_an_error_naming_the_nearest_setting(driver_cls):
    from drivers.testing import ScriptedTransport

    driver = driver_cls(ScriptedTransport([]))
    with pytest.raises(AttributeError, match=r"has no setting 'tranport'; did you mean "
                                             r"'transport'\?"):
        driver.tranport = None
    assert not hasattr(driver, "tranport")
    driver.lock = driver.lock  # existing attributes stay settable
    driver._cache = 1  # and private state can be added by the driver's own methods


def test_psu_votlage_names_voltage_and_sends_nothing(expected_protocol):
    with expected_protocol(ScpiPowerSupply, []) as psu, \
            pytest.raises(AttributeError, match="did you mean 'voltage'"):
        psu.votlage = 5


def test_production_code_reaches_the_simulators_only_through_their_session():
    """Sim wiring (options, interleave checks, their counts) lives in drivers/sim."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    reached = {}
    for path in [root / "bridge" / "instruments.py", *(root / "drivers").glob("*.py"),
                 *(root / "drivers" / "transport").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("drivers.sim"):
                reached[f"{path.relative_to(root).as_posix()}"] = node.module
    assert reached == {"bridge/instruments.py": "drivers.sim.session"}
