"""The stand's instruments as session fixtures, from ``[instruments.*]`` of hardpy.toml.

::

    [instruments.psu]
    driver = "drivers.psu.ScpiPowerSupply"   # or "mydrivers.x.Class" beside hardpy.toml
    resource = "TCPIP0::192.168.1.20::5025::SOCKET"
    channel = 1                      # any other key is a driver option

Each section becomes a session-scoped fixture of its name. Everything is checked
when pytest starts (driver importable, options known and of the right type,
resource parseable), so a typo fails the run before the first case, naming the key.
Opening a driver records its identity through ``set_driver_info``/``set_instrument``;
closing puts it in its safe state first (also after failures, Ctrl-C, critical stops).

``--stand sim`` swaps each resource for its simulator (``sim_resource``, else the
driver's ``SIM_RESOURCE``). Under pytest-xdist each worker takes one ``[slots.*]``
section (gw0 the first, …) whose tables override instruments' options; instruments
whose resource the slot does not override are shared, and their transactions are
serialised across workers by a file lock beside the run store.
"""

from __future__ import annotations

import os
import types
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

from bridge.driver_import import import_driver, use_plan_folder
from bridge.errors import ConfigError, InstrumentError, NotInRunError

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from bridge.config import StandConfig
    from drivers.base import Driver
    from drivers.sim.session import SimSession


@dataclass
class InstrumentSpec:
    """One configured instrument, validated and resolved for this process's slot."""

    name: str
    driver_cls: type[Driver]
    resource: str
    options: dict[str, Any]
    shared: bool
    recorded: bool = field(default=False)


class InstrumentsPlugin:
    """Registered by the core plugin when ``[instruments]`` is not empty."""

    def __init__(self, stand: StandConfig, config: pytest.Config, mode: str):
        self.stand = stand
        self.config = config
        self.mode = mode
        self.worker = os.environ.get("PYTEST_XDIST_WORKER")
        use_plan_folder(stand)  # `driver = "mydrivers.x.Y"` imports from the plan's folder
        self.slot_name, slot = self._pick_slot()
        self.specs = {
            name: self._spec(name, section, slot.get(name, {}))
            for name, section in stand.model.instruments.items()
        }
        self.opened: dict[str, Driver] = {}
        self._sim: SimSession | None = None  # --stand sim: built when an instrument opens
        # One session fixture per instrument, in a module-like holder registered as a
        # plugin (pytest reads plugin fixtures from a module's or class's attributes).
        self.fixtures = types.ModuleType("bridge_instrument_fixtures")
        for name in self.specs:
            setattr(self.fixtures, f"instrument_{name}", _fixture(self, name))
        config.pluginmanager.register(self.fixtures, f"bridge-instrument-fixtures-{id(self)}")

    # -- validation -------------------------------------------------------------------

    def _error(self, message: str, key: str) -> ConfigError:
        return ConfigError(message, path=self.stand.path, key=key)

    def _pick_slot(self) -> tuple[str | None, dict[str, dict[str, Any]]]:
        slots = self.stand.model.slots
        if not slots:
            return None, {}
        index = 0
        if self.worker and self.worker.startswith("gw") and self.worker[2:].isdigit():
            index = int(self.worker[2:])
        names = list(slots)
        if index >= len(names):
            raise self._error(f"worker {self.worker} has no slot: [slots] defines "
                              f"{len(names)} ({', '.join(names)}); run with -n {len(names)}",
                              "slots")
        name = names[index]
        slot = slots[name]
        for instrument, overrides in slot.items():
            key = f"slots.{name}.{instrument}"
            if instrument not in self.stand.model.instruments:
                raise self._error("no such instrument in [instruments]", key)
            if not isinstance(overrides, dict):
                raise self._error("expected a table of options, e.g. { channel = 2 }", key)
        return name, slot

    def _spec(self, name: str, section: Any, overrides: dict[str, Any]) -> InstrumentSpec:
        base = f"instruments.{name}"
        if not name.isidentifier():
            raise self._error("instrument names must be Python identifiers (fixture names)",
                              base)
        driver_cls = import_driver(self.stand, section.driver, f"{base}.driver")
        options = {**section.options, **overrides}

        def where(key: str) -> str:
            return f"slots.{self.slot_name}.{name}.{key}" if key in overrides else f"{base}.{key}"

        options.pop("resource", None)
        sim_resource = options.pop("sim_resource", None)
        if sim_resource is not None and not isinstance(sim_resource, str):
            raise self._error(f"expected str, got {sim_resource!r}", where("sim_resource"))
        from drivers.options import OptionError  # after use_plan_folder's shadowing check

        try:  # the driver's options model, the one check there is
            driver_cls.Options.build(driver_cls.__name__, options)
        except OptionError as exc:
            raise self._error(exc.reason, where(exc.option)) from None
        resource = overrides.get("resource", section.resource)
        if self.mode == "sim":
            resource = sim_resource or driver_cls.SIM_RESOURCE.format(slot=self.slot_name or
                                                                      "slot0")
        elif not resource:
            raise self._error("missing: the address of the instrument", f"{base}.resource")
        try:
            driver_cls.check_resource(resource)
        except ValueError as exc:
            key = "sim_resource" if self.mode == "sim" and sim_resource else "resource"
            raise self._error(str(exc), where(key)) from None
        shared = self.slot_name is not None and "resource" not in overrides \
            and "sim_resource" not in overrides
        return InstrumentSpec(name, driver_cls, resource, options, shared)

    # -- open, record, close ----------------------------------------------------------

    @property
    def lock_dir(self) -> Path:
        return self.stand.store_path.parent / "locks"

    def _sim_session(self) -> SimSession:
        """The simulators' side of this process (drivers.sim.session); sim mode only."""
        if self._sim is None:
            from drivers.sim.session import SimSession

            self._sim = SimSession(self.lock_dir, self.worker, self.slot_name)
        return self._sim

    def open(self, name: str) -> Driver:
        spec = self.specs[name]
        options = dict(spec.options)
        sim = self._sim_session() if self.mode == "sim" else None
        if sim is not None:
            options.update(sim.options(spec.driver_cls))
        lock = None
        if spec.shared:
            from drivers.lock import SharedLock

            observer = sim.observer(name, spec.resource) if sim is not None else None
            lock = SharedLock(self.lock_dir / f"{name}.lock", observer)
        driver = spec.driver_cls.open(spec.resource, lock=lock, **options)
        if getattr(driver, "progress", False) is None:  # e.g. firmware programming
            from bridge.progress import TerminalProgress

            driver.progress = TerminalProgress.for_terminal(self.config, name)
        self.opened[name] = driver
        driver.identity_listeners.append(lambda drv: self.record(name, drv))
        self.record(name, driver)
        return driver

    def record(self, name: str, driver: Driver) -> None:
        """Driver info always (updated when the identity changes); the instrument once."""
        from bridge import api
        from bridge.models import Instrument

        spec = self.specs[name]
        meta = driver.metadata()
        if self.slot_name:
            meta["slot"] = self.slot_name
        try:
            api.set_driver_info({name: meta})
            if driver.identified and not spec.recorded:
                api.set_instrument(Instrument(
                    name=name, revision=meta["firmware"], serial_number=meta["serial"],
                    part_number=meta["model"], comment=meta["resource"],
                    info={k: meta[k] for k in ("manufacturer", "driver", "driver_version",
                                               "transport", "transport_version")},
                ))
                spec.recorded = True
        except NotInRunError:  # e.g. a fixture used outside a recorded run
            pass

    def close(self, name: str) -> None:
        """Safe state, then close; the close happens even if the safe state fails."""
        driver = self.opened.pop(name, None)
        if driver is None:
            return
        try:
            driver.safe_state()
        finally:
            driver.close()

    def close_all(self) -> None:
        """Close every instrument even if some fail; report every failure."""
        errors: list[tuple[str, Exception]] = []
        for name in list(self.opened):
            try:
                self.close(name)
            # a driver's close may raise anything; each error is raised again below
            except Exception as exc:  # noqa: BLE001
                errors.append((name, exc))
        if len(errors) == 1:
            raise errors[0][1]
        if errors:
            details = "; ".join(f"{name}: {exc}" for name, exc in errors)
            raise InstrumentError(f"{len(errors)} instruments failed to close: {details}")

    # -- hooks ------------------------------------------------------------------------

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        # Fixture teardown normally closed everything; this catches what it did not.
        try:
            self.close_all()
        finally:
            if self._sim is not None:
                self._sim.finish()

    def pytest_unconfigure(self) -> None:
        self.close_all()


def unavailable(spec: InstrumentSpec, slot: str | None, exc: InstrumentError) -> str:
    """A few lines for an instrument that cannot be opened: what, why, what to check."""
    why = str(exc).partition("; resource=")[0]
    if exc.command not in (None, "open"):
        why += f" (to {exc.command!r})"
    section = f"[instruments.{spec.name}]" + (f" with [slots.{slot}]" if slot else "")
    lines = [f"{spec.name}: cannot open {spec.resource} "
             f"({spec.driver_cls.__module__}.{spec.driver_cls.__name__})",
             f"  why: {why}",
             f"  check: connected, switched on, at this address? (hardpy.toml {section})"]
    if "::" not in spec.resource:  # a serial port: say which ones exist
        ports = _serial_ports(with_hwid=spec.resource.startswith("hwgrep://"))
        lines.append(f"  serial ports on this PC: {', '.join(ports) or 'none'}")
    return "\n".join(lines)


def _serial_ports(*, with_hwid: bool) -> list[str]:
    """Each port with what it says it is (and its hwid, which hwgrep:// matches)."""
    from serial.tools import list_ports

    found = []
    for port in sorted(list_ports.comports(), key=lambda port: port.device):
        about = [text for text in (port.description, with_hwid and port.hwid)
                 if text and text not in ("n/a", port.name)]
        found.append(port.device + (f" ({'; '.join(about)})" if about else ""))
    return found


def _fixture(plugin: InstrumentsPlugin, name: str) -> Any:
    def instrument() -> Iterator[Driver]:
        failure = None
        try:
            driver = plugin.open(name)
        except InstrumentError as exc:
            failure = unavailable(plugin.specs[name], plugin.slot_name, exc)
        if failure is not None:  # outside `except`: a few lines, not three chained errors
            pytest.fail(failure, pytrace=False)
        try:
            yield driver
        finally:
            plugin.close(name)

    instrument.__doc__ = f"The stand's {name!r} instrument (from [instruments.{name}])."
    return pytest.fixture(scope="session", name=name)(instrument)
