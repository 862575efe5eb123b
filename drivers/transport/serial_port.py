"""A serial line through pyserial: any port or pyserial URL (a :class:`Transport`).

Nothing here knows about simulators, except that the package of pyserial URL
handlers includes ``drivers.sim`` (so ``dutsim://slot0`` works wherever a port URL
is accepted).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import NoReturn

from bridge.errors import InstrumentError

log = logging.getLogger(__name__)


class SerialTransport:
    """A serial line through ``serial.serial_for_url``: any pyserial URL.

    ``COM3``, ``/dev/ttyUSB0``, ``socket://host:port``, ``rfc2217://…``, ``loop://``,
    ``hwgrep://<regexp>`` (bind by USB serial number or VID:PID, because ttyUSB numbers
    move between boots) and ``dutsim://<slot>`` (the simulated DUT).
    ``wait_for_port`` seconds: how long to keep retrying a port that is not there yet
    (a DUT whose USB bridge appears only after power-on); 0 = fail at once.
    """

    library = "pyserial"

    def __init__(
        self,
        resource: str,
        *,
        baudrate: int = 115200,
        timeout: float = 1.0,
        write_termination: str = "\n",
        read_termination: str = "\n",
        encoding: str = "ascii",
        wait_for_port: float = 0.0,
        poll_interval: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        import serial

        if "drivers.sim" not in serial.protocol_handler_packages:
            serial.protocol_handler_packages.append("drivers.sim")
        self.resource = resource
        self.write_termination = write_termination
        self.read_termination = read_termination
        self.encoding = encoding
        self._last_command: str | None = None
        self._errors = (serial.SerialException, OSError)
        deadline = clock() + wait_for_port
        while True:
            try:
                self._port = serial.serial_for_url(resource, baudrate=baudrate, timeout=timeout)
                break
            except ValueError as exc:  # unknown URL scheme or bad option: waiting won't help
                raise InstrumentError(f"cannot open port: {exc}", resource=resource) from exc
            except self._errors as exc:
                if clock() >= deadline:
                    waited = f" after waiting {wait_for_port:g} s" if wait_for_port else ""
                    raise InstrumentError(
                        f"port not available{waited}: {exc}", resource=resource, command="open"
                    ) from exc
                sleep(poll_interval)
        # Bound methods and encoded terminators looked up once: the per-command cost is
        # what bench/bench_drivers.py compares with raw pyserial.
        self._write = self._port.write
        self._read_until = self._port.read_until
        self._ends: dict[str | None, bytes] = {}
        self._wterm = write_termination.encode(encoding)
        self._encoded: dict[str, bytes] = {}

    @property
    def timeout(self) -> float:
        seconds = self._port.timeout
        return float("inf") if seconds is None else float(seconds)  # None: pyserial blocks

    @timeout.setter
    def timeout(self, seconds: float) -> None:
        self._port.timeout = seconds

    @property
    def library_version(self) -> str:
        import serial

        return serial.__version__

    def _fail(
        self, message: str, reply: str | bytes | None, exc: Exception | None = None
    ) -> NoReturn:
        raise InstrumentError(
            message, resource=self.resource, command=self._last_command, reply=reply
        ) from exc

    def write_bytes(self, data: bytes) -> None:
        try:
            self._port.write(data)
        except self._errors as exc:
            self._fail(f"write failed: {exc}", None, exc)

    def write(self, command: str) -> None:
        self._last_command = command
        data = self._encoded.get(command) or self._encode(command)
        try:
            self._write(data)
        except self._errors as exc:
            self._fail(f"write failed: {exc}", None, exc)

    def _encode(self, command: str) -> bytes:
        """``command`` as terminated bytes; remembered, since a test plan repeats its
        commands (a bounded memo: commands that carry values vary without end)."""
        try:
            data = command.encode(self.encoding) + self._wterm
        except UnicodeEncodeError as exc:
            self._fail(f"command is not {self.encoding}", None, exc)
        if len(self._encoded) < 256:
            self._encoded[command] = data
        return data

    def read_bytes(self, count: int) -> bytes:
        try:
            data = self._port.read(count)
        except self._errors as exc:
            self._fail(f"read failed: {exc}", None, exc)
        if len(data) < count:
            self._fail(f"timeout: {len(data)} of {count} bytes", data)
        return data

    def read_line(self, terminator: str | None = None) -> str:
        """One reply up to ``terminator`` (default: the read termination), stripped of it."""
        end = self._ends.get(terminator) or self._end(terminator)
        try:
            raw = self._read_until(end)
        except self._errors as exc:
            self._fail(f"read failed: {exc}", None, exc)
        return self._reply(raw, end)

    def _reply(self, raw: bytes, end: bytes) -> str:
        """The decoded reply without its terminator, or an error saying what came."""
        if raw.endswith(end):
            try:
                return raw[: -len(end)].decode(self.encoding)
            except UnicodeDecodeError as exc:
                self._fail(f"reply is not {self.encoding}", raw, exc)
        what = "no reply" if not raw else f"reply not terminated by {end!r}"
        self._fail(f"timeout after {self.timeout:g} s: {what}", raw)

    def _end(self, terminator: str | None) -> bytes:
        end = self._ends[terminator] = (terminator or self.read_termination).encode(self.encoding)
        return end

    def query(self, command: str, terminator: str | None = None) -> str:
        """Write ``command``, return the reply up to ``terminator``."""
        self._last_command = command
        end = self._ends.get(terminator) or self._end(terminator)
        data = self._encoded.get(command) or self._encode(command)
        try:
            self._write(data)
            raw = self._read_until(end)
            if raw.endswith(end):  # every command's path, so without a call to _reply
                return raw[: -len(end)].decode(self.encoding)
        except self._errors as exc:
            self._fail(f"I/O failed: {exc}", None, exc)
        except UnicodeDecodeError:
            pass  # _reply says what came instead
        return self._reply(raw, end)

    def flush(self) -> None:
        """Drop whatever the device sent that nobody read (after an error, a reset)."""
        try:
            self._port.reset_input_buffer()
        except self._errors as exc:
            self._fail(f"flush failed: {exc}", None, exc)

    def close(self) -> None:
        try:
            self._port.close()
        except self._errors as exc:  # a vanished port is closed enough; its loss was the error
            log.warning("%s: port closed with an error (treated as closed): %s", self.resource, exc)
