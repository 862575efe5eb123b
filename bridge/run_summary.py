"""The end of a pytest run in a few lines, read back from the store.

What a person at the stand needs before the next DUT: the run id (to ``bridge show``
it), the cases by status, each failing measurement with its value and limits, and
every case that passed although one of its measurements failed (in HardPy a failing
measurement does not fail the case by itself; the plan's own assert does).
Everything stored is shown through :func:`bridge.cli.text.shown`.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from bridge.cli.text import shown
from bridge.statuses import Status

STATUS_ORDER = (Status.PASSED, Status.FAILED, Status.ERROR, Status.SKIPPED, Status.STOPPED,
                Status.RUN)
MAX_LISTED = 10  # failing measurements listed; the rest are counted


def limits_text(m: dict[str, Any]) -> str:
    """``gele [4.9, 5.1]``, ``le 0.2``, or nothing: a measurement's limits in one line."""
    if m.get("operation") is None:
        return ""
    if m.get("comparison_value") is not None:
        return f"{m['operation']} {m['comparison_value']}"
    return f"{m['operation']} [{m.get('lower_limit')}, {m.get('upper_limit')}]"


def measurement_text(m: dict[str, Any]) -> str:
    """``rail 5V = 5.5 V (gele [4.9, 5.1])``: one measurement, safe for a terminal."""
    unit = f" {m['unit']}" if m.get("unit") else ""
    limits = limits_text(m)
    return shown(f"{m.get('name') or '(unnamed)'} = {m['value']}{unit}"
                 + (f" ({limits})" if limits else ""))


def summary_lines(report: dict[str, Any]) -> list[tuple[str, dict[str, bool]]]:
    """Lines for pytest's terminal, each with its markup (``red=True``, ...)."""
    cases = [(module, case_id, case) for module in report["modules"].values()
             for case_id, case in module["cases"].items()]
    counts = Counter(case["status"] for _, _, case in cases)
    order = [s for s in STATUS_ORDER if counts[s]] + sorted(set(counts) - set(STATUS_ORDER))
    status = report["status"]
    lines: list[tuple[str, dict[str, bool]]] = [
        (f"run {report['id']}: {status}   (bridge show {report['id'][:8]})",
         {"green": status == Status.PASSED, "red": status != Status.PASSED, "bold": True}),
        ("cases: " + (", ".join(f"{counts[s]} {s}" for s in order) or "none"), {}),
    ]
    failing, passed_anyway = [], []
    for module, case_id, case in cases:
        bad = [m for m in case["measurements"] if m.get("result") is False]
        where = shown(f"{module['name']} / {case['name'] or case_id}")
        failing += [f"  {where}: {measurement_text(m)}" for m in bad]
        if bad and case["status"] == Status.PASSED:
            passed_anyway.append(f"  {where}: passed, though {len(bad)} measurement(s) failed")
    if failing:
        lines.append((f"failing measurements ({len(failing)}):", {"red": True}))
        lines += [(line, {"red": True}) for line in failing[:MAX_LISTED]]
        if len(failing) > MAX_LISTED:
            lines.append((f"  ... and {len(failing) - MAX_LISTED} more", {"red": True}))
    if passed_anyway:
        lines.append(("cases that passed with a failing measurement (the plan does not"
                      " assert on it):", {"yellow": True}))
        lines += [(line, {"yellow": True}) for line in passed_anyway]
    return lines
