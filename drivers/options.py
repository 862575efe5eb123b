"""Driver options: one typed model per driver, checked once, where it is built.

Each driver declares its options as a frozen dataclass named ``Options`` (labgrid
declares them as attrs fields with validators)::

    class ScpiPowerSupply(ScpiInstrument):
        @dataclass(frozen=True)
        class Options(ScpiInstrument.Options):
            channel: int = 1

A field's type is what a hardpy.toml value can be: ``int``, ``float``, ``bool`` or
``str``. An int is accepted for a float (``timeout = 3``); nothing else is converted,
so ``channel = 1.5`` or ``check_errors = 1`` is refused, naming the option.
:func:`transport_option` marks the fields the transport takes rather than the driver.

The same check serves a driver built in Python (:class:`OptionError`, a TypeError)
and the stand config (bridge.instruments turns it into a ConfigError naming the
file and the key).
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar

O = TypeVar("O", bound="DriverOptions")  # noqa: E741 - reads as "Options"

_TRANSPORT = "transport"


class OptionError(TypeError):
    """A driver option that is unknown or of the wrong type."""

    def __init__(self, driver: str, option: str, reason: str):
        super().__init__(f"{driver}.{option}: {reason}")
        self.driver = driver
        self.option = option
        self.reason = reason


def transport_option(default: Any) -> Any:
    """A field the driver hands to its transport (line endings, timeout, backend…)."""
    return dataclasses.field(default=default, metadata={_TRANSPORT: True})


@dataclasses.dataclass(frozen=True)
class DriverOptions:
    """Base of every driver's options (a driver without options keeps it as is)."""

    _types: ClassVar[dict[type, dict[str, type]]] = {}

    @classmethod
    def types(cls) -> dict[str, type]:
        """Option name -> its type (resolved once per class)."""
        if cls not in DriverOptions._types:
            hints = typing.get_type_hints(cls)
            DriverOptions._types[cls] = {field.name: hints[field.name]
                                         for field in dataclasses.fields(cls)}
        return DriverOptions._types[cls]

    @classmethod
    def build(cls: type[O], driver: str, given: Mapping[str, Any]) -> O:
        """The options ``given`` over the defaults; OptionError at the first bad one."""
        types = cls.types()
        for key, value in given.items():
            expected = types.get(key)
            if expected is None:
                raise OptionError(driver, key, f"unknown option for {driver}; accepted: "
                                               f"{', '.join(sorted(types)) or 'none'}")
            if not _fits(expected, value):
                raise OptionError(driver, key,
                                  f"expected {getattr(expected, '__name__', expected)}, "
                                  f"got {value!r}")
        return cls(**given)

    @classmethod
    def transport_names(cls) -> tuple[str, ...]:
        """The options that belong to the transport."""
        return tuple(field.name for field in dataclasses.fields(cls)
                     if field.metadata.get(_TRANSPORT))

    def transport_kwargs(self) -> dict[str, Any]:
        """The transport's options, for ``make_transport``."""
        return {name: getattr(self, name) for name in self.transport_names()}


def _fits(expected: type, value: Any) -> bool:
    """Whether ``value`` is of type ``expected``; bool is no int, an int is a float."""
    if expected is bool or isinstance(value, bool):
        return expected is bool and isinstance(value, bool)
    if expected is float:
        return isinstance(value, (int, float))
    return isinstance(value, expected)
