"""The stored run in the shape the end-of-run summary reads, and no more of it.

``bridge.run_summary`` shows the run id and status, each case's status and every
failing measurement. Building the whole StandCloud report for that (every case's JSON
decoded, every measurement, a digest of the lot) cost ~50 us per case at the end of
each pytest run; this reads the same facts back from the store with two queries: the
final attempt of each case, and only the measurements that failed.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from bridge.errors import StoreError
from bridge.statuses import Status

_STATUS = {Status.INTERRUPTED.value: Status.STOPPED.value}  # as the report shows it
_CASES = (
    "SELECT c.id, c.module_id, m.name, c.case_id, c.name, c.status FROM final_cases c"
    " JOIN modules m ON m.run_id = c.run_id AND m.module_id = c.module_id"
    " WHERE c.run_id = ? ORDER BY m.position, c.position")
_FAILING = (
    "SELECT m.case_row, m.type, m.name, m.value, m.unit, m.operation, m.comparison_value,"
    " m.lower_limit, m.upper_limit FROM measurements m JOIN final_cases c"
    " ON c.id = m.case_row WHERE c.run_id = ? AND m.result = 0"
    " ORDER BY m.case_row, m.position")


def run_outline(conn: sqlite3.Connection, run_id: str) -> dict[str, Any]:
    """``id``, ``status`` and ``modules`` -> ``cases`` (name, status, failing
    ``measurements``), keyed and ordered as in the report (bridge.report)."""
    found = conn.execute("SELECT status FROM runs WHERE id = ?", (run_id,)).fetchone()
    if found is None:
        raise StoreError(f"no run {run_id!r} in the store")
    failing: dict[int, list[dict[str, Any]]] = {}
    for row, kind, name, value, unit, operation, compared, lower, upper in conn.execute(
            _FAILING, (run_id,)):
        failing.setdefault(row, []).append({
            "type": kind, "name": name, "value": value, "unit": unit,
            "operation": operation, "comparison_value": compared, "lower_limit": lower,
            "upper_limit": upper, "result": False})
    modules: dict[str, dict[str, Any]] = {}
    for row, module_id, module_name, case_id, name, status in conn.execute(
            _CASES, (run_id,)):
        module = modules.setdefault(module_id, {"name": module_name, "cases": {}})
        module["cases"][case_id] = {"name": name, "status": _STATUS.get(status, status),
                                    "measurements": failing.get(row, [])}
    return {"id": run_id, "status": _STATUS.get(found[0], found[0]), "modules": modules}
