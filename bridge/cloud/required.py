"""What StandCloud requires of every run, and the test-plan call that provides it.

The one place for the hint: ``bridge sync`` (a held run), ``sync --status`` and the
end of a pytest run all name the same call. A plan imports ``hardpy`` (HardPy's name,
given to it by the plugin) or ``bridge``; the hint uses HardPy's, which works in both.
"""

from __future__ import annotations

import copy
from typing import Any

MISSING_HINTS = {
    "DUT part number": "hardpy.set_dut_part_number(...)",
    "stand name": "hardpy.set_stand_name(...)",
}
RUN_COLUMNS = {"dut_part_number": "DUT part number", "stand_name": "stand name"}


def missing_fields(report: dict[str, Any]) -> list[str]:
    """The mandatory fields a report lacks, by the names the hints use."""
    missing = []
    if not (report.get("dut") or {}).get("part_number"):
        missing.append("DUT part number")
    if not (report.get("test_stand") or {}).get("name"):
        missing.append("stand name")
    return missing


def held_message(missing: list[str]) -> str:
    calls = " and ".join(f"{MISSING_HINTS[name]}" for name in missing)
    return (
        f"not uploaded: {' and '.join(missing)} missing; call {calls} in the test plan"
        ' (or set [bridge.stand_cloud] fill_unknown = true to send "unknown")'
    )


def fill_unknown(report: dict[str, Any]) -> dict[str, Any]:
    """HardPy's fill-in: "unknown" for missing mandatory fields, names from part numbers."""
    report = copy.deepcopy(report)
    dut, stand = report["dut"], report["test_stand"]
    dut["part_number"] = dut.get("part_number") or "unknown"
    stand["name"] = stand.get("name") or "unknown"
    dut["name"] = dut.get("name") or dut["part_number"]
    for unit in [*dut.get("sub_units", []), *stand.get("instruments", [])]:
        unit["name"] = unit.get("name") or unit.get("part_number")
    return report
