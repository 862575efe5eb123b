"""A VISA resource through pyvisa, any backend (a :class:`Transport`)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, NoReturn, cast

from bridge.errors import InstrumentError

if TYPE_CHECKING:
    from pyvisa.resources import MessageBasedResource

log = logging.getLogger(__name__)


class VisaTransport:
    """A VISA resource through pyvisa, any backend.

    ``backend`` is pyvisa's library spec: ``""`` (the system VISA), ``"@py"``
    (pyvisa-py), ``"@ivi"``, or ``"<file.yaml>@sim"`` (pyvisa-sim). The resource
    string is any VISA address: ``TCPIP::…``, ``USB::…``, ``ASRL…``, ``GPIB::…``.
    """

    library = "pyvisa"

    def __init__(
        self,
        resource: str,
        *,
        backend: str = "",
        timeout: float = 2.0,
        write_termination: str = "\n",
        read_termination: str = "\n",
        encoding: str = "ascii",
    ):
        import pyvisa

        self.resource = resource
        self.backend = backend
        self._last_command: str | None = None
        self._pyvisa = pyvisa
        # What a session raises: pyvisa's errors (timeouts, lost sessions), the OS's
        # (pyvisa-py's sockets and ports), ValueError (text that does not encode or decode),
        # and InstrumentError (the simulator naming a query it has no answer for).
        self._errors: tuple[type[Exception], ...] = (
            pyvisa.Error, OSError, ValueError, InstrumentError)
        try:
            self.check_resource(resource)
        except ValueError as exc:
            message, _, why = str(exc).partition(": ")
            raise InstrumentError(message, resource=resource, command="open", reply=why) from None
        try:
            manager = pyvisa.ResourceManager(backend)
            # Every resource this transport opens (INSTR, SOCKET) is message-based; pyvisa
            # types open_resource as the base class, which has no read or write.
            self._res = cast("MessageBasedResource", manager.open_resource(
                resource,
                write_termination=write_termination,
                read_termination=read_termination,
                encoding=encoding,
                timeout=int(timeout * 1000),
            ))
        except (pyvisa.Error, OSError, ValueError) as exc:
            raise InstrumentError(
                f"cannot open ({backend or 'default VISA'}): {exc}",
                resource=resource,
                command="open",
            ) from exc
        if not self._res.session:  # pyvisa-sim says "not found" with session 0, no raise
            raise InstrumentError(
                f"cannot open ({backend}): no such resource", resource=resource, command="open"
            )
        # Bound methods looked up once: the per-query cost is what the bench measures.
        self._write = self._res.write
        self._read = self._res.read

    @staticmethod
    def check_resource(resource: str) -> None:
        """Raise ValueError when pyvisa cannot parse ``resource``."""
        from pyvisa import rname

        try:
            rname.parse_resource_name(resource)
        except rname.InvalidResourceName as exc:
            raise ValueError(f"not a VISA resource string: {exc}") from None

    @property
    def timeout(self) -> float:
        return self._res.timeout / 1000

    @timeout.setter
    def timeout(self, seconds: float) -> None:
        self._res.timeout = int(seconds * 1000)

    @property
    def library_version(self) -> str:
        return self._pyvisa.__version__

    def _fail(self, exc: Exception, reply: str | bytes | None = None) -> NoReturn:
        if isinstance(exc, InstrumentError):  # the simulator said exactly what is wrong
            raise InstrumentError(
                str(exc).partition("; resource=")[0], resource=self.resource,
                command=exc.command or self._last_command, reply=exc.reply,
            ) from exc
        timeout = getattr(exc, "error_code", None) == self._pyvisa.constants.VI_ERROR_TMO
        message = f"timeout after {self.timeout:g} s: no reply" if timeout else str(exc)
        raise InstrumentError(
            message, resource=self.resource, command=self._last_command, reply=reply
        ) from exc

    def write(self, command: str) -> None:
        self._last_command = command
        try:
            self._write(command)
        except self._errors as exc:
            self._fail(exc)

    def write_bytes(self, data: bytes) -> None:
        try:
            self._res.write_raw(data)
        except self._errors as exc:
            self._fail(exc)

    def read_line(self, terminator: str | None = None) -> str:
        try:
            if terminator is None:
                return self._read()
            return self._read(termination=terminator)
        except UnicodeDecodeError as exc:
            self._fail(exc, exc.object)
        except self._errors as exc:
            self._fail(exc)

    def read_bytes(self, count: int) -> bytes:
        try:
            return self._res.read_bytes(count)
        except self._errors as exc:
            self._fail(exc)

    def query(self, command: str, terminator: str | None = None) -> str:
        if terminator is not None:
            self.write(command)
            return self.read_line(terminator)
        self._last_command = command
        try:
            self._write(command)
            return self._read()
        except UnicodeDecodeError as exc:
            self._fail(exc, exc.object)
        except self._errors as exc:
            self._fail(exc)

    def flush(self) -> None:
        """Drop what the instrument has queued (viClear), where the session supports it."""
        try:
            self._res.clear()
        except NotImplementedError:  # pyvisa-sim: no viClear, and nothing buffered to drop
            pass
        except self._pyvisa.errors.VisaIOError as exc:
            if exc.error_code != self._pyvisa.constants.VI_ERROR_NSUP_OPER:  # e.g. raw SOCKET
                self._fail(exc)

    def close(self) -> None:
        # Close only our session: the ResourceManager is shared by every resource of
        # this backend in the process, closing it would close the others too.
        try:
            self._res.close()
        except (self._pyvisa.Error, OSError) as exc:  # a lost session is closed enough
            log.warning("%s: session closed with an error (treated as closed): %s",
                        self.resource, exc)
