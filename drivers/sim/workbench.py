"""The simulated stand's workbench: one in-process state that the simulators consult.

pyvisa-sim answers each instrument from its YAML, on its own. A stand is wired,
though: the DMM probes the DUT, the DUT runs from the supply. :class:`SimBench`
holds that wiring. It attaches to the pyvisa-sim library of ``stand.yaml`` by giving
its devices a derived class (:class:`CoupledDevice`) that

- answers the live queries (``MEAS:*``) from the bench: the supply's output is the set
  voltage when the output is on (sagging into current limit under the DUT's load),
  0 V when off; the DMM reads the DUT test point, which follows the supply;
- fails loudly and at once on a query that nothing scripts (no silent timeout);
- plays injected faults: no answer, garbage, a slow answer;
- keeps time on a virtual clock, so timeouts and delays cost no real time.

There is one bench per process (:data:`BENCH`): pyvisa itself caches one library
per YAML file per process, so that is where the simulated instruments live anyway.
"""

from __future__ import annotations

import copy
import functools
import random
import re
from collections import defaultdict, deque
from importlib import resources
from typing import TYPE_CHECKING, Any

from pyvisa import constants, rname
from pyvisa.errors import VisaIOError
from pyvisa_sim.devices import Device, Devices
from pyvisa_sim.parser import get_devices

from bridge.errors import InstrumentError
from drivers.scpi import ScpiInstrument
from drivers.sim import DMM_RESOURCE, FAULTS, GARBAGE, PSU_RESOURCE
from drivers.sim.firmware import DutFirmware

if TYPE_CHECKING:
    from drivers.base import Driver

_PSU_MEAS = re.compile(rb"MEAS:(VOLT|CURR)\? \(@(\d+)\)")


class VirtualClock:
    """Seconds of simulated time; simulated waits advance it instead of sleeping."""

    def __init__(self) -> None:
        self.now_s = 0.0

    def now(self) -> float:
        return self.now_s

    def advance(self, seconds: float) -> None:
        self.now_s += max(0.0, seconds)


class CoupledDevice(Device):
    """A pyvisa-sim device whose live readings and faults come from the bench."""

    bench: SimBench
    _ready_at: float = 0.0

    def _match(self, query: bytes) -> Any:
        bench = self.bench
        witness = bench.witnesses.get(self.resource_name)
        if witness is not None:
            witness.note_command(query)
        fault = bench.take_fault(self.resource_name)
        response = bench.live_answer(self, query)
        if response is None:
            response = super()._match(query)
        if response is None and query.rstrip().endswith(b"?"):
            raise InstrumentError(
                "the simulator has no answer scripted for this query",
                resource=self.resource_name, command=query.decode("ascii", "replace"),
            )
        if fault is None or response is None:
            return response
        kind, arg = fault
        bench.faults_played.append((self.resource_name, kind))
        if kind == "silent":
            from pyvisa_sim.component import NoResponse

            return NoResponse
        if kind == "garbage":
            return GARBAGE
        if kind == "slow":
            self._ready_at = bench.clock.now() + arg
        return response

    def read(self) -> tuple[bytes, bool]:
        clock = self.bench.clock
        timeout = self.bench.session_timeout(self)
        if not self._output_buffers:  # synchronous simulator: nothing now = nothing ever
            clock.advance(timeout)
            raise VisaIOError(constants.VI_ERROR_TMO)
        if self._ready_at > clock.now():
            if self._ready_at - clock.now() > timeout:
                self._output_buffers.clear()
                clock.advance(timeout)
                raise VisaIOError(constants.VI_ERROR_TMO)
            clock.now_s = self._ready_at
        return super().read()


@functools.cache
def _power_on_devices(yaml_path: str) -> Devices:
    """The stand's devices as parsed, never handed out: a reset copies them (1.5 ms), as
    pyvisa-sim's pure-Python YAML parse takes 20 ms and the suite resets ~330 times."""
    return get_devices(yaml_path, False)


class SimBench:
    """Wiring, faults and time of the simulated stand in this process."""

    #: DUT load on the supply, ohms (≈ 50 mA at 5 V).
    DUT_LOAD_OHMS = 100.0

    def __init__(self, seed: int = 1) -> None:
        self._seed = seed
        self._lib: Any = None
        self.reset()

    def reset(self) -> None:
        """Power-on state: fresh instruments and DUTs, no faults, clock at 0."""
        self.clock = VirtualClock()
        self.rng = random.Random(self._seed)
        self.duts: dict[str, DutFirmware] = {}
        self.unplugged: dict[str, float] = {}  # DUT name → virtual time it appears
        self._faults: dict[str, deque[tuple[str, float]]] = defaultdict(deque)
        self.faults_played: list[tuple[str, str]] = []
        #: Canonical resource → who is told of every command it receives.
        self.witnesses: dict[str, Any] = {}
        if self._lib is not None:
            self._lib.devices = copy.deepcopy(_power_on_devices(self.yaml_path()))
            self._couple(self._lib)

    # -- VISA side --------------------------------------------------------------------

    @staticmethod
    def yaml_path() -> str:
        return str(resources.files("drivers.sim").joinpath("stand.yaml"))

    def sim_options(self, driver_cls: type[Driver]) -> dict[str, Any]:
        """Options that point a driver at its simulator: its own (``SIM_YAML``), else,
        for a SCPI instrument, this bench's coupled pyvisa-sim library."""
        own = driver_cls.sim_options()
        if own or not issubclass(driver_cls, ScpiInstrument):
            return own
        # Simulated timeouts cost no real time; a long one only guards pyvisa-sim's
        # real-time read loop against a stalled process on a loaded machine.
        return {"backend": self.visa_backend(), "timeout": 5.0}

    def visa_backend(self) -> str:
        """The pyvisa backend string of the simulated stand, coupled to this bench."""
        import pyvisa

        backend = f"{self.yaml_path()}@sim"
        lib = pyvisa.ResourceManager(backend).visalib
        if self._lib is not lib:
            self._lib = lib
            self._couple(lib)
        return backend

    def _couple(self, lib: Any) -> None:
        for name in lib.devices.list_resources():
            device = lib.devices[name]
            device.__class__ = CoupledDevice  # a derived device: same state, our hooks
            device.bench = self

    def session_timeout(self, device: Device) -> float:
        for session in self._lib.sessions.values():
            if getattr(session, "device", None) is device:
                value, _ = session.get_attribute(constants.ResourceAttribute.timeout_value)
                return (value or 0) / 1000
        return 0.0

    def device(self, resource: str) -> Device:
        self.visa_backend()
        return self._lib.devices[rname.to_canonical_name(resource)]

    def psu_state(self, channel: int, resource: str = PSU_RESOURCE) -> dict[str, float]:
        """What the supply was told: set voltage, current limit, output (0/1)."""
        if self._lib is None:
            return {"voltage": 0.0, "current": 0.0, "output": 0}
        props = self.device(resource)._channels["output"]._properties
        return {name: props[name]._value[str(channel)] for name in ("voltage", "current", "output")}

    def supply(self, channel: int) -> tuple[float, float]:
        """Volts at the supply's terminals and amps drawn, on ``channel``."""
        state = self.psu_state(channel)
        if not state["output"]:
            return 0.0, 0.0
        volts, limit = float(state["voltage"]), float(state["current"])
        if not any(d.channel == channel for d in self.duts.values()):
            return volts, 0.0
        amps = volts / self.DUT_LOAD_OHMS
        if amps > limit:  # constant-current: the voltage sags to what the limit allows
            return limit * self.DUT_LOAD_OHMS, limit
        return volts, amps

    def noise(self, sigma: float) -> float:
        return self.rng.gauss(0.0, sigma)

    def probe(self) -> float:
        """The DMM's input: the test point of the newest DUT, else supply channel 1."""
        if self.duts:
            return list(self.duts.values())[-1].test_point()
        return self.supply(1)[0]

    def live_answer(self, device: Device, query: bytes) -> bytes | None:
        if device.name == "psu":
            match = _PSU_MEAS.fullmatch(query)
            if match:
                volts, amps = self.supply(int(match[2]))
                if match[1] == b"VOLT":
                    return f"{volts + self.noise(0.0005) * bool(volts):.4f}".encode()
                return f"{amps + self.noise(0.00002) * bool(amps):.5f}".encode()
        elif device.name == "dmm" and query == b"MEAS:VOLT:DC?":
            volts = self.probe()
            return f"{volts + self.noise(0.0002) * bool(volts):+.8E}".encode()
        return None

    def watch(self, resource: str, witness: Any) -> None:
        """Report every command ``resource`` receives to ``witness.note_command``."""
        self.witnesses[rname.to_canonical_name(resource)] = witness

    # -- faults -----------------------------------------------------------------------

    def inject(self, target: str, fault: str, arg: float = 0.0) -> None:
        """Play ``fault`` on the next command to ``target`` (a VISA resource or DUT name).

        ``silent`` no answer, ``garbage`` noise instead of the answer, ``slow`` the
        answer ``arg`` seconds late; for DUTs also ``truncate``, ``reset`` (reboots in
        the middle of the answer), ``vanish`` (the port disappears), ``wrong_eol``
        (answers with CR line ends), ``crc`` (a firmware chunk arrives corrupted).
        """
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; one of {', '.join(FAULTS)}")
        if "::" in target:
            target = rname.to_canonical_name(target)
        self._faults[target].append((fault, arg))

    def take_fault(
        self, target: str, kinds: tuple[str, ...] = FAULTS
    ) -> tuple[str, float] | None:
        """The next fault queued for ``target``, if it is one of ``kinds``."""
        queue = self._faults.get(target)
        if queue and queue[0][0] in kinds:
            return queue.popleft()
        return None

    # -- DUT side ---------------------------------------------------------------------

    def dut(self, name: str, **settings: Any) -> DutFirmware:
        """The simulated DUT ``name`` (created, powered from ``channel``, on first use)."""
        if name not in self.duts:
            self.duts[name] = DutFirmware(name, self, **settings)
        return self.duts[name]

    def unplug(self, name: str, until: float = float("inf")) -> None:
        """The DUT's port disappears (until virtual time ``until``)."""
        self.unplugged[name] = until

    def present(self, name: str) -> bool:
        return self.clock.now() >= self.unplugged.get(name, float("-inf"))


#: The simulated stand of this process.
BENCH = SimBench()

__all__ = ["BENCH", "DMM_RESOURCE", "FAULTS", "PSU_RESOURCE", "CoupledDevice", "SimBench"]
