"""Driver overhead against the raw libraries, on the same simulated instruments.

(a) ``ScpiInstrument.ask`` vs ``pyvisa`` ``Resource.query`` on one pyvisa-sim resource;
(b) ``DutConsole.version()`` (command, status parse) vs raw pyserial write + read_until
    on one ``dutsim://`` port.
Goal for both ratios: <= 1.10x. Runs alternate in rounds and the best round counts,
so that other load on the machine hits both sides alike.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from drivers.dut import DutConsole
from drivers.psu import ScpiPowerSupply
from drivers.sim.workbench import BENCH

ROUNDS = 15  # more rounds, steadier best-of figures (the two sides differ by ~1.5 µs)


def per_call(fn: Callable[[], object], n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n


def compare(label: str, raw: Callable[[], object], driver: Callable[[], object], n: int) -> float:
    for fn in (raw, driver):  # warm up
        per_call(fn, n // 10 or 1)
    raws, drivers = [], []
    for _ in range(ROUNDS):
        raws.append(per_call(raw, n))
        drivers.append(per_call(driver, n))
    best_raw, best_drv = min(raws), min(drivers)
    ratio = best_drv / best_raw
    print(f"{label}")
    print(
        f"  raw     best {best_raw * 1e6:8.1f} µs/call  median {statistics.median(raws) * 1e6:8.1f}"
        f"  ({1 / best_raw:,.0f}/s)"
    )
    print(
        f"  driver  best {best_drv * 1e6:8.1f} µs/call  median "
        f"{statistics.median(drivers) * 1e6:8.1f}  ({1 / best_drv:,.0f}/s)"
    )
    print(f"  ratio   {ratio:.3f}x  (goal <= 1.10x: {'ok' if ratio <= 1.10 else 'MISSED'}); "
          f"driver adds {(best_drv - best_raw) * 1e6:.1f} µs/call")
    return ratio


def bench_visa(n: int = 3000) -> float:
    import pyvisa

    backend = BENCH.visa_backend()
    resource = ScpiPowerSupply.SIM_RESOURCE
    raw = pyvisa.ResourceManager(backend).open_resource(
        resource, write_termination="\n", read_termination="\n", timeout=5000
    )
    psu = ScpiPowerSupply.open(resource, backend=backend, timeout=5.0)
    assert raw.query("*IDN?") == psu.ask("*IDN?")
    try:
        return compare(
            "(a) SCPI query '*IDN?' on pyvisa-sim (TCPIP SOCKET)",
            lambda: raw.query("*IDN?"),
            lambda: psu.ask("*IDN?"),
            n,
        )
    finally:
        raw.close()
        psu.close()


def bench_dut(n: int = 3000) -> float:
    import serial

    if "drivers.sim" not in serial.protocol_handler_packages:
        serial.protocol_handler_packages.append("drivers.sim")
    raw = serial.serial_for_url("dutsim://bench-raw", timeout=1.0)
    raw.read_until(b"> ")  # boot banner
    dut = DutConsole.open("dutsim://bench-driver")
    dut.wait_for_boot()

    def raw_version() -> bytes:
        raw.write(b"VER?\n")
        return raw.read_until(b"> ")

    def raw_version_checked() -> str:
        raw.write(b"VER?\n")
        reply = raw.read_until(b"> ").decode("ascii")
        if not reply.endswith("\nOK\n> "):
            raise RuntimeError(reply)
        return reply[:-6]

    assert raw_version() == b"1.0.0\nOK\n> " and dut.version() == raw_version_checked()
    try:
        ratio = compare("(b) DUT command 'VER?' over dutsim:// (pyserial URL handler)",
                        raw_version, dut.version, n)
        compare("(b, for reference) the same, raw side also decoding and checking 'OK'",
                raw_version_checked, dut.version, n)
        return ratio
    finally:
        raw.close()
        dut.close()


if __name__ == "__main__":
    ratios = [bench_visa(), bench_dut()]
    print(f"summary: visa {ratios[0]:.3f}x, dut {ratios[1]:.3f}x")
