"""pyserial URL handler ``dutsim://<name>[?channel=N&serial=S&version=V&fault=F]``.

``serial.serial_for_url("dutsim://slot0?channel=1")`` opens the simulated board
``slot0`` of this process's bench, powered from simulated supply channel 1 (no
``channel``: a fixed 5 V). ``fault`` queues a fault for the first command, for
rehearsing failures from a stand config. pyserial finds this module because
``drivers.sim`` is in ``serial.protocol_handler_packages`` (the transport adds it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from serial.serialutil import PortNotOpenError, SerialBase, SerialException

from drivers.sim.workbench import BENCH

if TYPE_CHECKING:
    from typing_extensions import Buffer


def parse_url(url: str) -> tuple[str, dict[str, Any], str | None]:
    """``dutsim://name?…`` → (name, firmware settings, fault)."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "dutsim" or not parts.netloc:
        raise SerialException(f"expected dutsim://<name>[?options], got {url!r}")
    settings: dict[str, Any] = {}
    fault = None
    for key, value in parse_qsl(parts.query, strict_parsing=bool(parts.query)):
        if key == "channel":
            settings["channel"] = int(value)
        elif key in ("serial", "version"):
            settings[key] = value
        elif key == "fault":
            fault = value
        else:
            raise ValueError(f"dutsim: unknown option {key!r}")
    return parts.netloc, settings, fault


class Serial(SerialBase):
    """A serial port whose other end is a simulated board."""

    def open(self) -> None:
        port = self.port
        if port is None:
            raise SerialException("Port must be configured before it can be used.")
        if self.is_open:
            raise SerialException("Port is already open.")
        name, settings, fault = parse_url(port)
        if not BENCH.present(name):
            raise SerialException(f"could not open port {self.portstr}: no such device")
        self._name = name
        self._fw = BENCH.dut(name, **settings)
        if fault:
            BENCH.inject(name, fault)
        self.is_open = True

    def _check(self) -> Any:
        if not self.is_open:
            raise PortNotOpenError()
        if not BENCH.present(self._name):
            raise SerialException("device reports readiness to read but returned no data "
                                  "(device disconnected or multiple access on port?)")
        return self._fw

    def close(self) -> None:
        self.is_open = False

    def _reconfigure_port(self, *args: Any, **kwargs: Any) -> None:
        """Baud rate and framing mean nothing to a simulated wire."""

    @property
    def in_waiting(self) -> int:
        return self._check().available()

    def read(self, size: int = 1) -> bytes:
        return self._check().read(size, self.timeout)

    def read_until(self, expected: bytes = b"\n", size: int | None = None) -> bytes:
        """As pyserial's, but the timeout is simulated time: a loaded CI machine that
        stalls the process does not turn into a spurious timeout."""
        firmware = self._check()
        line = bytearray()
        while size is None or len(line) < size:
            byte = firmware.read(1, self.timeout)
            if not byte:
                break
            line += byte
            if line.endswith(expected):
                break
        return bytes(line)

    def write(self, data: Buffer) -> int:
        payload = bytes(data)
        self._check().write(payload)
        return len(payload)

    def reset_input_buffer(self) -> None:
        self._check().drop_output()

    def reset_output_buffer(self) -> None:
        self._check()

    def flush(self) -> None:
        self._check()
