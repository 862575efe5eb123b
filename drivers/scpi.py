"""SCPI instruments: a base class and the declarative ``control``/``measurement``.

A driver body reads like the instrument's manual in brief::

    class Supply(ScpiInstrument):
        voltage = control("VOLT? (@{ch})", "VOLT {value:.3f},(@{ch})",
                          "Set voltage.", limits=(0, 30), unit="V")
        measured_voltage = measurement("MEAS:VOLT? (@{ch})", "Voltage at the output.",
                                       unit="V")

``{ch}`` is the driver's channel, ``{value}`` the value being set. After a write the
instrument's error queue (``SYST:ERR?``) is read when ``check_errors`` is on, and an
error there becomes an :class:`InstrumentError` naming the command that caused it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from bridge.errors import InstrumentError
from drivers.base import Driver, Identity, no_such_setting
from drivers.options import DriverOptions, transport_option
from drivers.transport import Transport, VisaTransport


class Commanded(Protocol):
    """What ``control``/``measurement`` work on: an instrument, or one of its channels."""

    @property
    def channel(self) -> Any: ...
    @property
    def transport(self) -> Transport: ...
    def ask(self, command: str) -> str: ...
    def write(self, command: str) -> None: ...


def _parse(cast: Callable[[str], Any], reply: str, instr: Commanded, command: str) -> Any:
    try:
        return cast(reply.strip())
    except (TypeError, ValueError, KeyError):
        raise InstrumentError(
            f"cannot parse reply as {getattr(cast, '__name__', cast)}",
            resource=instr.transport.resource,
            command=command,
            reply=reply,
        ) from None


class measurement:
    """A read-only quantity: the query that reads it, how to parse the reply, its unit.

    ``unit`` (``"V"``, ``"A"``, ``"Ohm"``; ``""`` for a switch or a count) is data, so
    a plan can record a reading with the unit the driver declares:
    ``type(psu).measured_voltage.unit``.
    """

    def __init__(self, get: str, doc: str, *, cast: Callable[[str], Any] = float,
                 unit: str | None = None):
        self.get = get
        self.cast = cast
        self.unit = unit
        self.__doc__ = doc + (f" [{unit}]" if unit else "")

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instr: Commanded | None, owner: type | None = None) -> Any:
        if instr is None:
            return self
        command = self.get.format(ch=instr.channel)
        return _parse(self.cast, instr.ask(command), instr, command)


class control(measurement):
    """A setting: read with ``get``, written with ``set`` after checking ``limits``/``values``.

    ``to_instr`` maps a Python value to what the instrument expects (``True`` → ``"ON"``).
    """

    def __init__(
        self,
        get: str,
        set: str,
        doc: str,
        *,
        cast: Callable[[str], Any] = float,
        limits: tuple[float, float] | None = None,
        values: Mapping[Any, str] | None = None,
        unit: str | None = None,
    ):
        super().__init__(get, doc, cast=cast, unit=unit)
        self.set = set
        self.limits = limits
        self.values = values

    def __set__(self, instr: Commanded, value: Any) -> None:
        if self.values is not None:
            if value not in self.values:
                raise ValueError(f"{self.name}: {value!r} not one of {list(self.values)}")
            value = self.values[value]
        elif self.limits is not None:
            low, high = self.limits
            if not low <= value <= high:
                raise ValueError(f"{self.name}: {value!r} outside [{low}, {high}]")
        instr.write(self.set.format(value=value, ch=instr.channel))


def on_off(reply: str) -> bool:
    """SCPI boolean reply: ``1``/``0``/``ON``/``OFF``."""
    return {"1": True, "0": False, "ON": True, "OFF": False}[reply.upper()]


def parse_idn(reply: str) -> Identity:
    """``*IDN?`` → manufacturer, model, serial, firmware (missing fields stay None)."""
    fields = [f.strip() or None for f in reply.split(",")]
    fields += [None] * (4 - len(fields))
    return Identity(fields[0], fields[1], fields[2], ",".join(f for f in fields[3:] if f) or None)


class ScpiInstrument(Driver):
    """A SCPI instrument on a VISA resource."""

    @dataclass(frozen=True)
    class Options(DriverOptions):
        """pyvisa backend, timeout (s) and line endings; the error-queue check."""

        backend: str = transport_option("")
        timeout: float = transport_option(2.0)
        write_termination: str = transport_option("\n")
        read_termination: str = transport_option("\n")
        check_errors: bool = True

    options: Options
    #: Query of the error queue and the reply that means "empty".
    ERROR_QUERY: ClassVar[str] = "SYST:ERR?"
    #: A pyvisa-sim YAML beside the driver's module that simulates it (``--stand sim``);
    #: empty: the simulated stand of drivers/sim (supply, DMM), which the bench wires
    #: (drivers.sim.workbench.SimBench.sim_options): production drivers never import it.
    SIM_YAML: ClassVar[str] = ""

    def __init__(self, transport: Transport, **options: Any):
        super().__init__(transport, **options)
        #: Channel the ``{ch}`` of commands stands for (drivers with channels set it).
        self.channel: Any = getattr(self.options, "channel", None)
        self.check_errors = self.options.check_errors

    @classmethod
    def make_transport(cls, resource: str, **transport_options: Any) -> Transport:
        return VisaTransport(resource, **transport_options)

    @classmethod
    def check_resource(cls, resource: str) -> None:
        VisaTransport.check_resource(resource)

    @classmethod
    def sim_options(cls) -> dict[str, Any]:
        if cls.SIM_YAML:
            import sys
            from pathlib import Path

            module_file = sys.modules[cls.__module__].__file__ or ""
            yaml = Path(module_file).with_name(cls.SIM_YAML)
            if not yaml.is_file():
                raise InstrumentError(f"{cls.__name__}.SIM_YAML: no file {yaml}")
            return {"backend": f"{yaml}@sim", "timeout": 5.0}
        return {}

    def ask(self, command: str) -> str:
        """Send a query, return the reply line."""
        with self.lock:
            return self.transport.query(command)

    def write(self, command: str) -> None:
        """Send a command; then, if ``check_errors``, raise what the error queue holds."""
        with self.lock:
            self.transport.write(command)
            if self.check_errors:
                self.raise_queued_errors(command)

    def raise_queued_errors(self, command: str | None = None) -> None:
        """Read ``SYST:ERR?`` until empty; raise the first error, naming ``command``."""
        errors = []
        for _ in range(20):  # a queue that never empties is itself an error
            with self.lock:
                reply = self.transport.query(self.ERROR_QUERY)
            code, _, text = reply.partition(",")
            try:
                if int(code) == 0:
                    break
            except ValueError:
                raise InstrumentError(
                    "unparsable error-queue reply",
                    resource=self.transport.resource,
                    command=self.ERROR_QUERY,
                    reply=reply,
                ) from None
            errors.append(f"{code.strip()} {text.strip().strip(chr(34))}")
        if errors:
            raise InstrumentError(
                f"instrument error {errors[0]}"
                + (f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""),
                resource=self.transport.resource,
                command=command,
                reply="; ".join(errors),
            )

    def _query_identity(self) -> Identity:
        return parse_idn(self.ask("*IDN?"))

    def reset(self) -> None:
        """``*RST`` then ``*CLS``: factory settings, empty error queue."""
        self.write("*RST")
        self.write("*CLS")


class ScpiChannel:
    """One channel of a SCPI instrument (QCoDeS' InstrumentChannel, in brief).

    It holds its instrument, not a copy of it: every command goes through the
    instrument's ``ask``/``write``, so its connection, lock and error check are the
    ones of the instrument. ``{ch}`` in the commands of its controls is ``channel``.
    Like a driver, it refuses a public attribute it does not have (a typo would
    otherwise set nothing on the instrument).
    """

    __slots__ = ("channel", "instrument")
    channel: int
    instrument: ScpiInstrument

    def __init__(self, instrument: ScpiInstrument, channel: int):
        object.__setattr__(self, "instrument", instrument)
        object.__setattr__(self, "channel", channel)

    def __setattr__(self, name: str, value: Any) -> None:
        if not hasattr(type(self), name):
            raise AttributeError(no_such_setting(self, name), name=name, obj=self)
        object.__setattr__(self, name, value)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.channel} of {self.transport.resource}>"

    @property
    def transport(self) -> Transport:
        """The instrument's connection (named in errors)."""
        return self.instrument.transport

    def ask(self, command: str) -> str:
        """A query, through the instrument (its lock)."""
        return self.instrument.ask(command)

    def write(self, command: str) -> None:
        """A command, through the instrument (its lock, its error-queue check)."""
        self.instrument.write(command)
