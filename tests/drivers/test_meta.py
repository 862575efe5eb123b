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
    assert set(driver_cls.TRANSPORT_OPTIONS) <= set(driver_cls.OPTIONS)
    assert driver_cls.SIM_RESOURCE
    with pytest.raises(TypeError, match="unknown option"):
        driver_cls(object(), no_such_option=1)


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
