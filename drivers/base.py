"""What every driver has: options, open/close, identity, a safe state, a lock.

Every driver is built the same way, so the fixture layer can treat them alike:

- ``Driver(transport, **options)`` wraps an open transport (protocol tests pass a
  scripted one); ``Driver.open(resource, **options)`` builds the transport itself;
- ``Options`` is the driver's typed options model (drivers.options): every option
  it accepts, with type and default — the stand config is checked against it, so a
  misspelled or mistyped option fails at start;
- ``metadata()`` is the identity recorded for the run (manufacturer, model, serial,
  firmware, resource, driver class and version, transport library and version);
- ``safe_state()`` leaves the instrument harmless (a supply's output off);
- ``lock`` serialises transactions when several processes share the instrument;
- once built, a driver refuses a new public attribute: ``psu.votlage = 5`` would
  otherwise set nothing on the instrument and pass; it names the nearest setting.
"""

from __future__ import annotations

import difflib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from drivers.options import DriverOptions
from drivers.transport import Transport

if TYPE_CHECKING:  # only the protocol, for hints
    from drivers.lock import TransactionLock


def no_such_setting(obj: object, name: str) -> str:
    """``X has no setting 'votlage'; did you mean 'voltage'?`` and what there is."""
    settable = sorted(
        {key for key in getattr(obj, "__dict__", {}) if not key.startswith("_")}
        | {key for klass in type(obj).__mro__ for key, member in vars(klass).items()
           if not key.startswith("_") and hasattr(member, "__set__")
           and getattr(member, "fset", True) is not None})
    close = difflib.get_close_matches(name, settable, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return (f"{type(obj).__name__} has no setting {name!r}{hint} "
            f"(settable: {', '.join(settable)})")


@dataclass(frozen=True)
class Identity:
    """Who the instrument says it is."""

    manufacturer: str | None = None
    model: str | None = None
    serial: str | None = None
    firmware: str | None = None


class _Sealed(type):
    """Seals each driver when its constructor (the most derived one) has returned."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        driver = super().__call__(*args, **kwargs)
        object.__setattr__(driver, "_sealed", True)
        return driver


class Driver(metaclass=_Sealed):
    """Base of all drivers: a transport, options, identity and a safe state."""

    _sealed = False

    #: Version of the driver code, recorded with every run that used it.
    driver_version: ClassVar[str] = "1.0"
    #: Options accepted from the stand config: types and defaults (none here).
    Options = DriverOptions
    #: Where this driver's simulator answers in ``--stand sim`` (see drivers.sim).
    SIM_RESOURCE: ClassVar[str] = ""
    #: Ask for the identity when opening (a DUT may still be unpowered then: False).
    IDENTIFY_ON_OPEN: ClassVar[bool] = True

    def __init__(self, transport: Transport, **options: Any):
        self.transport = transport
        #: The checked options (OptionError, a TypeError, names a bad one).
        self.options = self.Options.build(type(self).__name__, options)
        #: Context manager held around each transaction: a thread lock by default, a
        #: cross-process SharedLock when other processes share the instrument.
        self.lock: TransactionLock = threading.RLock()
        self._identity: Identity | None = None
        #: Called with the driver each time it learns who the instrument is.
        self.identity_listeners: list[Callable[[Driver], None]] = []

    def __setattr__(self, name: str, value: Any) -> None:
        if self._sealed and not name.startswith("_") and name not in self.__dict__ \
                and not hasattr(type(self), name):
            raise AttributeError(self._no_such_setting(name), name=name, obj=self)
        object.__setattr__(self, name, value)

    def _no_such_setting(self, name: str) -> str:
        return no_such_setting(self, name)

    @classmethod
    def make_transport(cls, resource: str, **transport_options: Any) -> Transport:
        raise NotImplementedError

    @classmethod
    def check_resource(cls, resource: str) -> None:
        """Raise ValueError when ``resource`` cannot be an address for this driver."""

    @classmethod
    def sim_options(cls) -> dict[str, Any]:
        """Options that point this driver at its own simulator (``--stand sim``); empty
        when the simulated stand (drivers.sim.workbench.SimBench.sim_options) provides it."""
        return {}

    @classmethod
    def open(
        cls,
        resource: str,
        *,
        lock: TransactionLock | None = None,
        **options: Any,
    ) -> Driver:
        """Open ``resource`` and return the driver; nothing stays open if this fails.

        ``lock`` is held around every transaction from the first (``*IDN?``) on.
        """
        checked = cls.Options.build(cls.__name__, options)  # before anything opens
        transport = cls.make_transport(resource, **checked.transport_kwargs())
        try:
            driver = cls(transport, **options)
            if lock is not None:
                driver.lock = lock
            if cls.IDENTIFY_ON_OPEN:
                driver.identify()
        except BaseException:
            transport.close()
            raise
        return driver

    def identify(self) -> Identity:
        """Ask the instrument who it is; tell the listeners (the run records it)."""
        self._identity = self._query_identity()
        for listener in self.identity_listeners:
            listener(self)
        return self._identity

    def _query_identity(self) -> Identity:
        raise NotImplementedError

    @property
    def identity(self) -> Identity:
        """The last identity read, without asking again (empty before the first)."""
        return self._identity or Identity()

    @property
    def identified(self) -> bool:
        return self._identity is not None

    def metadata(self) -> dict[str, str | None]:
        """The facts recorded for the run: identity, address, driver, transport."""
        ident = self.identity
        cls = type(self)
        return {
            "manufacturer": ident.manufacturer,
            "model": ident.model,
            "serial": ident.serial,
            "firmware": ident.firmware,
            "resource": self.transport.resource,
            "driver": f"{cls.__module__}.{cls.__qualname__}",
            "driver_version": self.driver_version,
            "transport": getattr(self.transport, "library", type(self.transport).__name__),
            "transport_version": getattr(self.transport, "library_version", None),
        }

    def safe_state(self) -> None:
        """Leave the instrument harmless. The default has nothing to switch off."""

    def close(self) -> None:
        self.transport.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.safe_state()
        finally:
            self.close()

