"""The simulated stand: pyvisa-sim instruments, a DUT firmware simulator, the coupling.

- ``stand.yaml`` (+ ``psu.yaml``, ``dmm.yaml``): pyvisa-sim definitions shipped in the
  package, found through ``importlib.resources``;
- :mod:`drivers.sim.workbench`: the in-process state that couples them (the DMM and the
  DUT's ADC follow the supply), fault injection, a virtual clock (no real waits);
- :mod:`drivers.sim.firmware`: the sample board's firmware (console + bootloader);
- :mod:`drivers.sim.protocol_dutsim`: pyserial URL handler ``dutsim://<name>``;
- :mod:`drivers.sim.interleave`: detects two processes in one shared-instrument
  transaction at once.
"""

from __future__ import annotations

import hashlib
import struct

#: The simulated instruments' addresses (as in stand.yaml and the drivers' SIM_RESOURCE:
#: production drivers never import the simulator).
PSU_RESOURCE = "TCPIP0::psu.sim::5025::SOCKET"
DMM_RESOURCE = "USB0::0x2A8D::0x0101::SIMDMM01::INSTR"

#: Faults a test can inject (drivers.sim.workbench.SimBench.inject), and the noise the
#: ``garbage`` fault sends: both the instruments and the board play them.
FAULTS = ("silent", "garbage", "truncate", "slow", "reset", "vanish", "wrong_eol", "crc")
GARBAGE = b"\x8f\xfe#\x00\x13?\xa7"

#: A firmware image: magic, version (16 bytes, NUL padded), body.
IMAGE_MAGIC = b"SBFW"
_HEADER = struct.Struct(">4s16s")


def make_image(version: str, size: int = 4096) -> bytes:
    """A firmware image for the sample board carrying ``version`` (deterministic body)."""
    body = bytearray()
    seed = version.encode()
    while len(body) < size:
        seed = hashlib.sha256(seed).digest()
        body += seed
    return _HEADER.pack(IMAGE_MAGIC, version.encode("ascii")) + bytes(body[:size])


def image_version(image: bytes) -> str | None:
    """The version an image carries, or None when it is not a sample-board image."""
    if len(image) < _HEADER.size:
        return None
    magic, version = _HEADER.unpack_from(image)
    if magic != IMAGE_MAGIC:
        return None
    return version.rstrip(b"\0").decode("ascii", "replace")
