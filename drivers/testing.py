"""Protocol tests for drivers: a transport that plays a script of exact bytes.

PyMeasure's ``expected_protocol`` idea, shipped so that a driver written for a plan
gets the same test as ours::

    from drivers.testing import expected_protocol

    def test_voltage_is_set_with_three_decimals():
        with expected_protocol(MySupply, [(b"VOLT 5.000\n", b"")], check_errors=False) as psu:
            psu.voltage = 5
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, TypeVar

from drivers.base import Driver

D = TypeVar("D", bound=Driver)


class ScriptedTransport:
    """A transport that plays a script of exact bytes: (host sends, device answers).

    Bytes the driver writes must equal the next scripted ``sent`` exactly (line
    termination included); only then does the scripted answer become readable.
    :meth:`verify` fails when a scripted exchange was left unused or a reply unread.
    """

    library = "scripted"
    library_version = "0"

    def __init__(self, script: list[tuple[bytes, bytes]], *, write_termination: str = "\n",
                 read_termination: str = "\n", resource: str = "SCRIPT::INSTR"):
        self.script = list(script)
        self.resource = resource
        self.timeout = 1.0
        self.write_termination = write_termination
        self.read_termination = read_termination
        self._pending = b""  # what the host wrote toward the next expected `sent`
        self._readable = bytearray()
        self.closed = False

    def write_bytes(self, data: bytes) -> None:
        self._pending += data
        while self._pending:
            assert self.script, f"unexpected write {self._pending!r}: script is exhausted"
            sent, reply = self.script[0]
            if len(self._pending) < len(sent):
                assert sent.startswith(self._pending), (
                    f"sent {self._pending!r}, script expects {sent!r}")
                return
            assert self._pending[: len(sent)] == sent, (
                f"sent {self._pending!r}, script expects {sent!r}")
            self._pending = self._pending[len(sent):]
            self.script.pop(0)
            self._readable += reply

    def write(self, command: str) -> None:
        self.write_bytes((command + self.write_termination).encode("ascii"))

    def read_line(self, terminator: str | None = None) -> str:
        end = (terminator or self.read_termination).encode("ascii")
        index = self._readable.find(end)
        assert index >= 0, f"driver reads up to {end!r}; unread: {bytes(self._readable)!r}"
        line = bytes(self._readable[:index])
        del self._readable[: index + len(end)]
        return line.decode("ascii")

    def read_bytes(self, count: int) -> bytes:
        assert len(self._readable) >= count, f"driver reads {count} bytes; have {self._readable!r}"
        data = bytes(self._readable[:count])
        del self._readable[:count]
        return data

    def query(self, command: str, terminator: str | None = None) -> str:
        self.write(command)
        return self.read_line(terminator)

    def flush(self) -> None:
        self._readable.clear()

    def close(self) -> None:
        self.closed = True

    def verify(self) -> None:
        assert not self._pending, f"partial write left: {self._pending!r}"
        assert not self.script, f"scripted exchanges never used: {self.script!r}"
        assert not self._readable, f"replies never read: {bytes(self._readable)!r}"


@contextlib.contextmanager
def expected_protocol(driver_cls: type[D], script: list[tuple[bytes, bytes]],
                      **options: Any) -> Iterator[D]:
    """The driver on a :class:`ScriptedTransport` of ``script``; on leaving the block,
    every scripted exchange must have been used and every reply read."""
    transport = ScriptedTransport(script)
    driver = driver_cls(transport, **options)
    yield driver
    transport.verify()
