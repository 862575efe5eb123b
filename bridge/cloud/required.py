"""What StandCloud requires of every run, and the test-plan call that provides it.

The one place for the hint: ``bridge sync`` (a held run), ``sync --status`` and the
end of a pytest run all name the same call. A plan imports ``hardpy`` (HardPy's name,
given to it by the plugin) or ``bridge``; the hint uses HardPy's, which works in both.
"""

from __future__ import annotations

MISSING_HINTS = {
    "DUT part number": "hardpy.set_dut_part_number(...)",
    "stand name": "hardpy.set_stand_name(...)",
}
RUN_COLUMNS = {"dut_part_number": "DUT part number", "stand_name": "stand name"}
