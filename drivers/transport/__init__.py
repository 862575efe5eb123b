"""Transports: the only place that talks to pyserial and pyvisa.

A driver sees one small interface (:class:`Transport`): write a command, read a line
or n bytes, query, flush, close, and a timeout. Every failure below it — a timeout, a
port that vanished, a reply that does not decode — becomes an
:class:`~bridge.errors.InstrumentError` naming the resource, the command that was
sent and what came back, so a failing test says *which* instrument said *what*.

Line endings, encoding and timeout are explicit constructor settings. One module per
library: :mod:`drivers.transport.serial_port` (pyserial: serial lines, sockets, the
simulated DUT) and :mod:`drivers.transport.visa_resource` (pyvisa: any VISA backend).
Each imports its library when a transport is built, not at import.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from drivers.transport.serial_port import SerialTransport
from drivers.transport.visa_resource import VisaTransport


@runtime_checkable
class Transport(Protocol):
    """What a driver needs from a connection."""

    resource: str
    timeout: float

    def write(self, command: str) -> None: ...
    def read_line(self, terminator: str | None = None) -> str: ...
    def read_bytes(self, count: int) -> bytes: ...
    def write_bytes(self, data: bytes) -> None: ...
    def query(self, command: str, terminator: str | None = None) -> str: ...
    def flush(self) -> None: ...
    def close(self) -> None: ...


__all__ = ["SerialTransport", "Transport", "VisaTransport"]
