"""Programmable DC power supplies (SCPI, channel-list syntax ``(@n)``)."""

from __future__ import annotations

import copy
from typing import Any, ClassVar

from drivers.scpi import ScpiInstrument, control, measurement, on_off


class ScpiPowerSupply(ScpiInstrument):
    """A multi-channel DC supply: set voltage and current limit, switch, measure.

    Speaks the SCPI dialect of Keysight E36300-class supplies, where each command
    names its channel (``VOLT 5.000,(@1)``), so several test slots can share one
    supply without selecting channels in between. The driver works on
    ``channel`` (an option); :meth:`on_channel` gives a driver for another one.
    """

    SIM_RESOURCE = "TCPIP0::psu.sim::5025::SOCKET"  # drivers/sim/stand.yaml
    OPTIONS: ClassVar[dict[str, Any]] = {**ScpiInstrument.OPTIONS, "channel": 1}

    voltage = control("VOLT? (@{ch})", "VOLT {value:.3f},(@{ch})",
                      "Set voltage of the channel, volts.", limits=(0.0, 60.0))
    current_limit = control("CURR? (@{ch})", "CURR {value:.3f},(@{ch})",
                            "Current limit of the channel, amperes.", limits=(0.0, 10.0))
    output = control("OUTP? (@{ch})", "OUTP {value},(@{ch})",
                     "Output switched on (True) or off (False).",
                     cast=on_off, values={True: "1", False: "0"})
    measured_voltage = measurement("MEAS:VOLT? (@{ch})", "Voltage at the terminals, volts.")
    measured_current = measurement("MEAS:CURR? (@{ch})", "Current delivered, amperes.")

    def on_channel(self, channel: int) -> ScpiPowerSupply:
        """The same supply (same connection and lock), working on ``channel``."""
        other = copy.copy(self)
        other.channel = channel
        return other

    def safe_state(self) -> None:
        """Output off on this driver's channel only: other slots may share the supply."""
        self.output = False
