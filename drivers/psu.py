"""Programmable DC power supplies (SCPI, channel-list syntax ``(@n)``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from drivers.scpi import ScpiChannel, ScpiInstrument, control, measurement, on_off
from drivers.transport import Transport


class SupplyOutput:
    """The settings and readings of one output, declared once.

    Each :class:`SupplyChannel` has them, and so has the supply itself, for the
    channel its ``channel`` option names (what a test slot works on).
    """

    __slots__ = ()

    if TYPE_CHECKING:  # what the controls work through (drivers.scpi.Commanded)
        channel: Any
        transport: Transport

        def ask(self, command: str) -> str: ...
        def write(self, command: str) -> None: ...

    voltage = control("VOLT? (@{ch})", "VOLT {value:.3f},(@{ch})",
                      "Set voltage of the channel.", limits=(0.0, 60.0), unit="V")
    current_limit = control("CURR? (@{ch})", "CURR {value:.3f},(@{ch})",
                            "Current limit of the channel.", limits=(0.0, 10.0), unit="A")
    output = control("OUTP? (@{ch})", "OUTP {value},(@{ch})",
                     "Output switched on (True) or off (False).",
                     cast=on_off, values={True: "1", False: "0"}, unit="")
    measured_voltage = measurement("MEAS:VOLT? (@{ch})", "Voltage at the terminals.",
                                   unit="V")
    measured_current = measurement("MEAS:CURR? (@{ch})", "Current delivered.", unit="A")

    def safe_state(self) -> None:
        """Output off on this channel only: other slots may share the supply."""
        self.output = False


class SupplyChannel(SupplyOutput, ScpiChannel):
    """One output of a :class:`ScpiPowerSupply`: same connection, same lock."""

    __slots__ = ()


class ScpiPowerSupply(SupplyOutput, ScpiInstrument):
    """A multi-channel DC supply: set voltage and current limit, switch, measure.

    Speaks the SCPI dialect of Keysight E36300-class supplies, where each command
    names its channel (``VOLT 5.000,(@1)``), so several test slots can share one
    supply without selecting channels in between. The driver works on
    ``channel`` (an option); :meth:`on_channel` gives another channel as an object.
    """

    SIM_RESOURCE = "TCPIP0::psu.sim::5025::SOCKET"  # drivers/sim/stand.yaml
    @dataclass(frozen=True)
    class Options(ScpiInstrument.Options):
        """The SCPI options, and the channel this driver works on."""

        channel: int = 1

    options: Options

    def __init__(self, transport: Transport, **options: Any):
        super().__init__(transport, **options)
        self._channels: dict[int, SupplyChannel] = {}

    def on_channel(self, channel: int) -> SupplyChannel:
        """Output ``channel`` of this supply (one object per channel, kept)."""
        if channel not in self._channels:
            self._channels[channel] = SupplyChannel(self, channel)
        return self._channels[channel]
