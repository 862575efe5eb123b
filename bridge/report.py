"""A stored run as StandCloud's report (runstore schema v1): the one place it lives.

Every key of the format is written, ``null`` / ``{}`` / ``[]`` when unset; times are
whole Unix seconds. Our own ``interrupted`` status has no twin in the format and is
reported as ``stopped``. ``rev`` is derived from the content, so an unchanged run
exports the same document twice: it is a digest of the report's one compact encoding
(with ``rev`` empty), and the upload sends that same encoding with ``rev`` filled in,
so a report is JSON-encoded once on its way to StandCloud.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from bridge.errors import StoreError
from bridge.statuses import Status

_STATUS = {Status.INTERRUPTED.value: Status.STOPPED.value}  # plain str: the report is JSON


def _time(value: float | None) -> int | None:
    return None if value is None else int(value)


def _json(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def build_report(conn: sqlite3.Connection, run_id: str) -> dict[str, Any]:
    """The run's report, ``rev`` included."""
    return report_and_body(conn, run_id)[0]


def report_and_body(conn: sqlite3.Connection, run_id: str) -> tuple[dict[str, Any], bytes]:
    """The run's report and its compact JSON (what an upload sends), encoded once."""
    report = _assemble(conn, run_id)
    return report, encode_report(report)


def encode_report(report: dict[str, Any]) -> bytes:
    """Compact JSON of ``report``, setting its ``rev`` from the same encoding.

    The report is encoded with ``rev`` empty; the digest of those bytes is the rev,
    spliced into them where the empty value stands. ``id`` and ``rev`` must be the
    first two keys (they are, in every report built here).
    """
    if list(report)[:2] != ["id", "rev"]:
        raise ValueError("a report starts with its id and rev")
    report["rev"] = ""
    draft = json.dumps(report, separators=(",", ":")).encode()  # ASCII: bytes = chars
    at = len('{"id":') + len(json.dumps(report["id"])) + len(',"rev":"')
    if draft[at - 7:at + 1] != b'"rev":""':
        raise ValueError("the report's encoding does not start with its id and rev")
    report["rev"] = f"1-{hashlib.sha256(draft).hexdigest()[:16]}"
    return draft[:at] + report["rev"].encode() + draft[at:]


def _assemble(conn: sqlite3.Connection, run_id: str) -> dict[str, Any]:
    """The report with an empty ``rev``."""

    def rows(sql: str) -> list[sqlite3.Row]:
        cursor = conn.cursor()
        cursor.row_factory = sqlite3.Row
        return cursor.execute(sql, (run_id,)).fetchall()

    found = rows("SELECT * FROM runs WHERE id = ?")
    if not found:
        raise StoreError(f"no run {run_id!r} in the store")
    run = found[0]
    modules = rows("SELECT * FROM module_rows WHERE run_id = ? ORDER BY position")
    cases = rows("SELECT * FROM final_cases WHERE run_id = ? ORDER BY position")
    plain = conn.cursor()
    plain.row_factory = None  # tuples: 20 measurements a case, unpacked by position
    measurements = plain.execute(_MEASUREMENTS_SQL, (run_id,)).fetchall()
    instruments = rows("SELECT * FROM instruments WHERE run_id = ? ORDER BY position")

    by_case: dict[int, list[dict[str, Any]]] = {}
    for m in measurements:
        by_case.setdefault(m[0], []).append(measurement_entry(m[1:]))
    cases_of: dict[str, dict[str, Any]] = {}
    for c in cases:
        cases_of.setdefault(c["module_id"], {})[c["case_id"]] = {
            "name": c["name"], "status": _STATUS.get(c["status"], c["status"]),
            "start_time": _time(c["start_time"]), "stop_time": _time(c["stop_time"]),
            "group": c["grp"], "assertion_msg": c["assertion_msg"], "msg": _json(c["msg"]),
            "measurements": by_case.get(c["id"], []), "chart": _json(c["chart"]),
            "attempt": c["attempt"], "artifact": json.loads(c["artifact"]),
        }
    report: dict[str, Any] = {
        "id": run["id"],
        "rev": "",
        "name": run["name"],
        "status": _STATUS.get(run["status"], run["status"]),
        "start_time": _time(run["start_time"]),
        "stop_time": _time(run["stop_time"]),
        "test_stand": {
            "hw_id": run["hw_id"], "name": run["stand_name"],
            "revision": run["stand_revision"], "timezone": run["timezone"],
            "location": run["stand_location"], "number": run["stand_number"],
            "drivers": json.loads(run["drivers"]),
            "instruments": [_instrument(i) for i in instruments],
            "info": json.loads(run["stand_info"]),
        },
        "dut": {
            "name": run["dut_name"], "type": run["dut_type"],
            "serial_number": run["dut_serial_number"],
            "part_number": run["dut_part_number"], "revision": run["dut_revision"],
            "sub_units": json.loads(run["dut_sub_units"]), "info": json.loads(run["dut_info"]),
        },
        "process": {"name": run["process_name"], "number": run["process_number"],
                    "info": json.loads(run["process_info"])},
        "modules": {
            m["module_id"]: {
                "name": m["name"], "status": _STATUS.get(m["status"], m["status"]),
                "start_time": _time(m["start_time"]), "stop_time": _time(m["stop_time"]),
                "group": m["grp"], "cases": cases_of.get(m["module_id"], {}),
                "artifact": json.loads(m["artifact"]),
            }
            for m in modules
        },
        "user": run["user"],
        "batch_serial_number": run["batch_serial_number"],
        "caused_dut_failure_id": run["caused_dut_failure_id"],
        "error_code": run["error_code"],
        "artifact": json.loads(run["artifact"]),
    }
    return report


MEASUREMENT_COLUMNS = ("position", "type", "name", "value", "unit", "operation",
                       "comparison_value", "lower_limit", "upper_limit", "casesensitive",
                       "result")
_MEASUREMENTS_SQL = (
    f"SELECT m.case_row, {', '.join('m.' + column for column in MEASUREMENT_COLUMNS)}"
    " FROM measurements m JOIN cases c ON c.id = m.case_row"
    " WHERE c.run_id = ? ORDER BY m.case_row, m.position"
)


def measurement_entry(row: Sequence[Any]) -> dict[str, Any]:
    """A measurement in store column order (``MEASUREMENT_COLUMNS``) in report form:
    the one place that shape is written. Unpacked by position, not looked up by name:
    it runs for every measurement of every report built."""
    (_, kind, name, value, unit, operation, comparison_value, lower_limit, upper_limit,
     casesensitive, result) = row
    result = None if result is None else bool(result)
    if kind == "string":
        return {"type": kind, "name": name, "value": value, "operation": operation,
                "comparison_value": comparison_value, "casesensitive": bool(casesensitive),
                "result": result}
    return {"type": kind, "name": name, "value": value, "operation": operation,
            "comparison_value": comparison_value, "unit": unit, "lower_limit": lower_limit,
            "upper_limit": upper_limit, "result": result}


def _instrument(i: sqlite3.Row) -> dict[str, Any]:
    return {"name": i["name"], "revision": i["revision"], "serial_number": i["serial_number"],
            "part_number": i["part_number"], "number": i["number"], "comment": i["comment"],
            "info": json.loads(i["info"])}
