"""The sample board's firmware, simulated: console, ADC, self-test, bootloader.

It runs synchronously inside the process: bytes written to its port are handled at
once, and its answers wait in an output buffer with the virtual time at which they
become readable. The board is powered from a simulated supply channel (or from a
fixed 5 V when it has none): below 4 V it is off and silent; when the supply comes
up it boots and prints its banner.
"""

from __future__ import annotations

import hashlib
import zlib
from typing import Protocol

from drivers.dut import ACK, FRAME_CRC, FRAME_HEAD, NAK, REJECTED, REPLY, STX
from drivers.sim import GARBAGE, image_version

BROWN_OUT = 4.0
CONSOLE_FAULTS = ("silent", "garbage", "truncate", "slow", "reset", "vanish", "wrong_eol")
FRAME_FAULTS = ("crc", "silent", "vanish")


class Clock(Protocol):
    """Virtual time (drivers.sim.workbench.VirtualClock)."""

    now_s: float

    def now(self) -> float: ...
    def advance(self, seconds: float) -> None: ...


class Bench(Protocol):
    """What a board needs of the stand it sits on (drivers.sim.workbench.SimBench,
    which creates boards): so the import runs one way, bench to board."""

    faults_played: list[tuple[str, str]]

    @property
    def clock(self) -> Clock: ...

    def supply(self, channel: int) -> tuple[float, float]: ...
    def take_fault(self, target: str, kinds: tuple[str, ...]) -> tuple[str, float] | None: ...
    def unplug(self, name: str, until: float = ...) -> None: ...
    def noise(self, sigma: float) -> float: ...


class DutFirmware:
    """One simulated board: a serial number, a firmware version, rails, a console."""

    PART = "SB-100"
    REVISION = "A2"
    BOOT_TIME = 0.3  # virtual seconds from power-on (or reset) to the prompt
    PROMPT = b"> "

    def __init__(self, name: str, bench: Bench, *, channel: int | None = None,
                 serial: str | None = None, version: str = "1.0.0"):
        self.name = name
        self.bench = bench
        self.channel = channel
        self.serial = serial or f"SB{zlib.crc32(name.encode()) % 10**7:07d}"
        self.version = version
        self.state = "off"
        self.out = bytearray()
        self.ready_at = 0.0
        self.inbuf = bytearray()
        self.tp = "VIN"
        self.boots = 0
        self.commands: list[str] = []
        self._offset = (zlib.crc32(self.serial.encode()) % 21 - 10) / 1000  # ±10 mV
        self._image = bytearray()
        self._expect: tuple[int, str] = (0, "")
        self._seq = 0

    # -- power and rails --------------------------------------------------------------

    def vin(self) -> float:
        return 5.0 if self.channel is None else self.bench.supply(self.channel)[0]

    def rails(self) -> dict[str, float]:
        self.power_check()
        vin = self.vin()
        up = self.state != "off"
        return {"VIN": vin, "3V3": 3.3 + self._offset if up else 0.0,
                "1V8": 1.8 + self._offset / 2 if up else 0.0}

    def test_point(self) -> float:
        return self.rails()[self.tp]

    def power_check(self) -> None:
        powered = self.vin() >= BROWN_OUT
        if powered and self.state == "off":
            self.boot()
        elif not powered and self.state != "off":
            self.state = "off"
            self.out.clear()
            self.inbuf.clear()

    def boot(self, delay: float = BOOT_TIME) -> None:
        self.state = "console"
        self.boots += 1
        self.inbuf.clear()
        self.emit(f"BOOT {self.PART} bootrom 2.1\nFW {self.version}\nREADY\n".encode()
                  + self.PROMPT, delay)

    def emit(self, data: bytes, delay: float = 0.0) -> None:
        self.out += data
        self.ready_at = max(self.ready_at, self.bench.clock.now() + delay)

    # -- the port ---------------------------------------------------------------------

    def write(self, data: bytes) -> None:
        self.power_check()
        if self.state == "off":
            return
        self.inbuf += data
        if self.state == "bootloader":
            self._frames()
            return
        while b"\n" in self.inbuf and self.state == "console":
            line, _, rest = bytes(self.inbuf).partition(b"\n")
            self.inbuf[:] = rest
            self._console(line.rstrip(b"\r").decode("ascii", "replace"))

    def available(self) -> int:
        return len(self.out) if self.ready_at <= self.bench.clock.now() else 0

    def read(self, size: int, timeout: float | None) -> bytes:
        clock = self.bench.clock
        if not self.out:
            self.power_check()
        if self.out and self.ready_at > clock.now():
            wait = self.ready_at - clock.now()
            if timeout is not None and wait > timeout:
                clock.advance(timeout)
                return b""
            clock.now_s = self.ready_at
        if not self.out:
            if timeout is None:
                raise RuntimeError(f"{self.name}: a read without timeout would block forever")
            clock.advance(timeout)
            return b""
        data = bytes(self.out[:size])
        del self.out[:size]
        return data

    def drop_output(self) -> None:
        if self.ready_at <= self.bench.clock.now():
            self.out.clear()

    # -- console ----------------------------------------------------------------------

    def _console(self, line: str) -> None:
        self.commands.append(line)
        fault = self.bench.take_fault(self.name, CONSOLE_FAULTS)
        word, _, args = line.strip().partition(" ")
        if word == "RESET":
            self.boot()
            return
        try:
            lines = self._dispatch(word.upper(), args.split())
            status = "OK"
        except _Err as err:
            lines, status = err.lines, f"ERR {err.code} {err.text}"
        reply = "".join(f"{text}\n" for text in [*lines, status]).encode() + self.PROMPT
        self._answer(reply, fault)

    def _answer(self, reply: bytes, fault: tuple[str, float] | None) -> None:
        if fault is None:
            self.emit(reply)
            return
        kind, arg = fault
        self.bench.faults_played.append((self.name, kind))
        if kind == "garbage":
            self.emit(GARBAGE)
        elif kind == "truncate":
            self.emit(reply[: len(reply) // 2])
        elif kind == "slow":
            self.emit(reply, arg)
        elif kind == "reset":
            self.emit(reply[: len(reply) // 2])
            self.state = "off"
            self.boot(0.0)
        elif kind == "vanish":
            self.bench.unplug(self.name)
        elif kind == "wrong_eol":
            self.emit(reply.replace(b"\n", b"\r"))
        # "silent": nothing at all

    def _dispatch(self, word: str, args: list[str]) -> list[str]:
        rails = self.rails()
        if word == "ID?":
            return [f"{self.PART},{self.REVISION},{self.serial}"]
        if word == "VER?":
            return [self.version]
        if word in ("ADC?", "TP"):
            if len(args) != 1:
                raise _Err(2, f"{word} takes one rail")
            rail = args[0].upper()
            if rail not in rails:
                raise _Err(3, f"unknown rail {args[0]}")
            if word == "TP":
                self.tp = rail
                return []
            return [f"{rails[rail] + self.bench.noise(0.003):.3f}"]
        if word == "SELFTEST":
            checks = {"ram": True, "flash": True, "adc": True,
                      "rails": abs(rails["3V3"] - 3.3) < 0.1 and abs(rails["1V8"] - 1.8) < 0.06}
            lines = [f"{'PASS' if ok else 'FAIL'} {name}" for name, ok in checks.items()]
            if not all(checks.values()):
                raise _Err(7, "self-test failed", lines)
            return lines
        if word == "PROG":
            if len(args) != 2 or not args[0].isdigit() or len(args[1]) != 64:
                raise _Err(2, "PROG takes <size> <sha256>")
            self._expect = (int(args[0]), args[1].lower())
            self._image.clear()
            self._seq = 0
            self.state = "bootloader"
            return []
        raise _Err(1, f"unknown command {word}")

    # -- bootloader -------------------------------------------------------------------

    def _frames(self) -> None:
        buf = self.inbuf
        while buf:
            if buf[0] != STX:  # resynchronise on the next start byte
                del buf[0]
                continue
            if len(buf) < FRAME_HEAD.size:
                return
            _, seq, length = FRAME_HEAD.unpack_from(buf)
            end = FRAME_HEAD.size + length + FRAME_CRC.size
            if len(buf) < end:
                return
            body = bytearray(buf[1:FRAME_HEAD.size + length])
            (crc,) = FRAME_CRC.unpack_from(buf, FRAME_HEAD.size + length)
            del buf[:end]
            fault = self.bench.take_fault(self.name, FRAME_FAULTS)
            if fault is not None:
                self.bench.faults_played.append((self.name, fault[0]))
                if fault[0] == "silent":
                    continue
                if fault[0] == "vanish":
                    self.bench.unplug(self.name)
                    return
                body[-1] ^= 0xFF  # "crc": a bit flipped on the wire
            if zlib.crc32(bytes(body)) != crc or seq != self._seq:
                self.emit(REPLY.pack(NAK, self._seq))
                continue
            payload = bytes(body[4:])
            if payload:
                self._image += payload
                self._seq += 1
                self.emit(REPLY.pack(ACK, seq))
                continue
            size, sha = self._expect
            image = bytes(self._image)
            if len(image) != size or hashlib.sha256(image).hexdigest() != sha:
                self.emit(REPLY.pack(NAK, REJECTED))
                self.state = "console"
                self.emit(self.PROMPT)
                return
            self.emit(REPLY.pack(ACK, seq))
            self.version = image_version(image) or "unknown"
            self.state = "off"
            self.boot()
            return


class _Err(Exception):
    def __init__(self, code: int, text: str, lines: list[str] | None = None):
        self.code, self.text, self.lines = code, text, lines or []
