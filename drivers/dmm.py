"""Digital multimeters (SCPI ``MEASure`` subsystem)."""

from __future__ import annotations

from drivers.scpi import ScpiInstrument, measurement


class ScpiMultimeter(ScpiInstrument):
    """A bench DMM: one-shot measurements with auto range.

    Each reading is a ``MEAS:…?`` query, which configures, triggers and reads in one
    transaction, so a reading never depends on state left by another slot.
    """

    SIM_RESOURCE = "USB0::0x2A8D::0x0101::SIMDMM01::INSTR"  # drivers/sim/stand.yaml

    dc_voltage = measurement("MEAS:VOLT:DC?", "DC voltage.", unit="V")
    ac_voltage = measurement("MEAS:VOLT:AC?", "AC voltage (RMS).", unit="V")
    dc_current = measurement("MEAS:CURR:DC?", "DC current.", unit="A")
    resistance = measurement("MEAS:RES?", "Two-wire resistance.", unit="Ohm")
