"""The DUT's firmware console over serial, and its serial bootloader.

Console protocol (the sample board's firmware; the simulator speaks the same):

- the host sends one command line ``CMD args`` + ``\\n``;
- the firmware answers with zero or more data lines, then a status line — ``OK`` or
  ``ERR <code> <text>`` — then the prompt ``"> "``;
- after a reset it prints a banner whose first line starts with ``BOOT``, ends with
  ``READY`` and the prompt.

Bootloader (entered with ``PROG <size> <sha256>``): the image goes in frames
``STX seq:u16 len:u16 payload crc32:u32`` (big-endian, CRC-32 over seq, len and
payload); the bootloader answers each with ``ACK seq`` or ``NAK expected_seq``, and
the host resumes from ``expected_seq``. A frame with ``len = 0`` ends the transfer:
``ACK`` when size and SHA-256 match (the board then boots the new image), ``NAK FFFF``
and the console prompt when they do not.
"""

from __future__ import annotations

import hashlib
import struct
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

from bridge.errors import FirmwareError, InstrumentError
from drivers.base import Driver, Identity
from drivers.options import DriverOptions, transport_option
from drivers.transport import SerialTransport, Transport

STX, ACK, NAK = 0x02, 0x06, 0x15
FRAME_HEAD = struct.Struct(">BHH")
FRAME_CRC = struct.Struct(">I")
REPLY = struct.Struct(">BH")
REJECTED = 0xFFFF


def frame(seq: int, payload: bytes) -> bytes:
    """One bootloader frame."""
    head = FRAME_HEAD.pack(STX, seq, len(payload))
    return head + payload + FRAME_CRC.pack(zlib.crc32(head[1:] + payload))


@dataclass(frozen=True)
class ProgramProgress:
    """Where programming is, after each frame the bootloader answered."""

    sent: int  # bytes of the image acknowledged
    size: int
    chunk: int  # frames acknowledged, of `chunks` (the empty end frame counts)
    chunks: int
    retries: int

    def line(self) -> str:
        """``firmware 50% 32,768/65,536 bytes, chunk 128/257, 0 retries``."""
        percent = 100 * self.sent // self.size if self.size else 100
        return (f"firmware {percent:3d}% {self.sent:,}/{self.size:,} bytes, "
                f"chunk {self.chunk}/{self.chunks}, {self.retries} "
                f"{'retry' if self.retries == 1 else 'retries'}")


@dataclass(frozen=True)
class ProgramResult:
    """What programming did: the image's hash, the version the DUT reports after."""

    sha256: str
    version: str
    size: int
    chunks: int
    retries: int
    seconds: float = 0.0  # from PROG to the new firmware's version reply

    def as_info(self) -> dict[str, str | int | float]:
        """For ``bridge.set_dut_info``: the run records the image, retries and duration."""
        return {"firmware_sha256": self.sha256, "firmware_version": self.version,
                "firmware_size": self.size, "firmware_retries": self.retries,
                "firmware_programming_s": round(self.seconds, 3)}


class DutConsole(Driver):
    """The sample board's firmware console: commands, identity, reset, programming."""

    @dataclass(frozen=True)
    class Options(DriverOptions):
        """The serial line; how long a boot may take (s); bootloader frames and retries."""

        baudrate: int = transport_option(115200)
        timeout: float = transport_option(1.0)
        wait_for_port: float = transport_option(0.0)
        write_termination: str = transport_option("\n")
        boot_timeout: float = 5.0
        chunk_size: int = 256
        max_retries: int = 3

    options: Options
    SIM_RESOURCE = "dutsim://{slot}?channel=1"
    IDENTIFY_ON_OPEN = False  # the board may be unpowered when the stand opens its port
    PROMPT = "> "

    def __init__(self, transport: Transport, **options: Any):
        super().__init__(transport, **options)
        #: Told where programming is after every frame (the stand shows it on a terminal).
        self.progress: Callable[[ProgramProgress], None] | None = None

    @classmethod
    def make_transport(cls, resource: str, **transport_options: Any) -> Transport:
        return SerialTransport(resource, **transport_options)

    # -- console ----------------------------------------------------------------------

    def command(self, line: str) -> list[str]:
        """Send ``line``; return the data lines; raise FirmwareError on ``ERR``."""
        return self._data_lines(line, self._exchange(line))

    def query(self, line: str) -> str:
        """A command that answers exactly one data line."""
        raw = self._exchange(line)
        data, _, status = raw.partition("\n")
        if status == "OK\n":  # the common case, kept cheap: one line, then OK
            return data
        lines = self._data_lines(line, raw)
        if len(lines) == 1:
            return lines[0]
        self._fail(f"expected one data line, got {len(lines)}", line, "\n".join(lines))

    def _exchange(self, line: str) -> str:
        """One transaction: ``line`` out, the reply up to the prompt back."""
        lock = self.lock  # acquire/release: half the cost of `with`, on every command
        lock.acquire()
        try:
            return self.transport.query(line, self.PROMPT)
        except InstrumentError:
            self.transport.flush()  # whatever arrives late must not answer the next one
            raise
        finally:
            lock.release()

    def _data_lines(self, line: str, raw: str) -> list[str]:
        """The data lines of ``raw``, the reply to ``line``, checked against its status."""
        if raw.endswith("\nOK\n"):  # the common case, kept cheap (no banner can precede OK)
            return raw[:-4].split("\n")
        if "BOOT " in raw:
            self._fail("the DUT reset during the command", line, raw)
        lines = raw.split("\n")
        lines.pop()  # what follows the status line's newline: nothing
        status = lines.pop() if lines else ""
        if status == "OK":
            return lines
        if status.startswith("ERR "):
            code, _, text = status[4:].partition(" ")
            if code.isdigit():
                raise FirmwareError(int(code), text, resource=self.transport.resource,
                                    command=line, reply=raw)
        self._fail("malformed reply: no OK/ERR status line before the prompt", line, raw)

    def _fail(self, message: str, command: str, reply: str) -> NoReturn:
        self.transport.flush()
        raise InstrumentError(message, resource=self.transport.resource, command=command,
                              reply=reply)

    def _query_identity(self) -> Identity:
        part, _revision, serial = ([*self.query("ID?").split(","), "", ""])[:3]
        return Identity(manufacturer=None, model=part or None, serial=serial or None,
                        firmware=self.version())

    def version(self) -> str:
        """The firmware version the board runs."""
        return self.query("VER?")

    def adc(self, rail: str) -> float:
        """The board's own ADC reading of ``rail`` (VIN, 3V3, 1V8), volts."""
        reply = self.query(f"ADC? {rail}")
        try:
            return float(reply)
        except ValueError:
            self._fail("ADC reply is not a number", f"ADC? {rail}", reply)

    def test_point(self, rail: str) -> None:
        """Route ``rail`` to the test point the DMM probes."""
        self.command(f"TP {rail}")

    def self_test(self) -> dict[str, bool]:
        """Run the firmware self-test: {check: passed}; FirmwareError if any failed."""
        return {name: verdict == "PASS"
                for verdict, _, name in (text.partition(" ") for text in self.command("SELFTEST"))}

    def reset(self) -> None:
        """Reboot the board and wait (bounded) for its prompt."""
        with self.lock:
            self.transport.write("RESET")
            self.wait_for_boot()

    def wait_for_boot(self) -> list[str]:
        """Read the boot banner up to the prompt, for at most ``boot_timeout`` seconds.

        Bounded by a number of read timeouts, not a wall clock, so a simulated board
        (whose timeouts take no real time) is bounded the same way as a real one.
        """
        attempts = max(1, int(self.options.boot_timeout / max(self.transport.timeout, 1e-3)))
        seen = ""
        for _ in range(attempts):
            try:
                seen += self.transport.read_line(self.PROMPT)
            except InstrumentError as exc:  # nothing yet: still booting
                partial = exc.reply or b""
                seen += partial.decode("ascii", "replace") if isinstance(partial, bytes) \
                    else partial
                continue
            if seen.endswith("READY\n"):
                return seen.removesuffix("\n").split("\n")
        raise InstrumentError(
            f"no boot prompt within {self.options.boot_timeout:g} s",
            resource=self.transport.resource, command="(wait for boot)", reply=seen,
        )

    # -- bootloader -------------------------------------------------------------------

    def program(self, image: bytes) -> ProgramResult:
        """Write ``image`` through the bootloader; return its SHA-256 and new version.

        :attr:`progress`, when set, hears of every frame the bootloader answers.
        """
        started = time.monotonic()
        sha = hashlib.sha256(image).hexdigest()
        size = self.options.chunk_size
        chunks = [image[i:i + size] for i in range(0, len(image), size)]
        retries = streak = 0
        start = f"PROG {len(image)} {sha}"
        progress = self.progress
        with self.lock:
            self.command(start)
            seq = 0
            while seq <= len(chunks):
                payload = chunks[seq] if seq < len(chunks) else b""
                self.transport.write_bytes(frame(seq, payload))
                reply = self.transport.read_bytes(REPLY.size)
                kind, number = REPLY.unpack(reply)
                if kind == ACK and number == seq:
                    seq, streak = seq + 1, 0
                    if progress is not None:
                        progress(ProgramProgress(min(seq * size, len(image)), len(image), seq,
                                                 len(chunks) + 1, retries))
                    continue
                if kind == NAK and number == REJECTED:
                    self.transport.read_line(self.PROMPT)  # back at the console
                    raise FirmwareError(REJECTED, "image rejected: size or SHA-256 mismatch",
                                        resource=self.transport.resource, command=start,
                                        reply=reply)
                retries, streak = retries + 1, streak + 1
                if kind != NAK or number > len(chunks) or streak > self.options.max_retries:
                    raise InstrumentError(
                        f"bootloader gave up on frame {seq} after {streak} tries",
                        resource=self.transport.resource, command=f"frame {seq}", reply=reply)
                seq = number  # resume where the bootloader says it is
                if progress is not None:
                    progress(ProgramProgress(seq * size, len(image), seq, len(chunks) + 1,
                                             retries))
            self.wait_for_boot()
        version = self.version()
        return ProgramResult(sha, version, len(image), len(chunks) + 1, retries,
                             time.monotonic() - started)
