"""StandCloud reports (the JSON format) loaded into an in-memory run store.

The StandCloud simulator keeps reports as JSON; loading them into the store's own
schema lets it draw the very pages a stand draws from its store, through the same
queries. Times in the format are whole seconds, and only the final attempt of each
case is sent, so that is what the simulator's pages show.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from typing import Any

from bridge.store.schema import MIGRATIONS
from bridge.store.schema_v3 import summarize_missing

_MEASUREMENT = ("type", "name", "value", "unit", "operation", "comparison_value",
                "lower_limit", "upper_limit", "casesensitive", "result")


def _bool(value: Any) -> int | None:
    return None if value is None else int(bool(value))


def store_from_reports(reports: Iterable[Mapping[str, Any]]) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:", isolation_level=None)
    for script in MIGRATIONS:
        conn.executescript(script)
    conn.execute("BEGIN")
    case_row = 0
    for r in reports:
        stand, dut, process = r["test_stand"], r["dut"], r["process"]
        conn.execute(
            "INSERT INTO runs (id, name, status, start_time, stop_time, host, pid, hw_id,"
            " timezone, stand_name, stand_revision, stand_location, stand_number, stand_info,"
            " drivers, dut_name, dut_type, dut_serial_number, dut_part_number, dut_revision,"
            " dut_info, dut_sub_units, process_name, process_number, process_info, user,"
            " batch_serial_number, caused_dut_failure_id, error_code, artifact)"
            " VALUES (?,?,?,?,?,'standcloud',0,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (r["id"], r["name"], r["status"], r["start_time"], r["stop_time"], stand["hw_id"],
             stand["timezone"], stand["name"], stand["revision"], stand["location"],
             stand["number"], json.dumps(stand["info"]), json.dumps(stand["drivers"]),
             dut["name"], dut["type"], dut["serial_number"], dut["part_number"],
             dut["revision"], json.dumps(dut["info"]), json.dumps(dut["sub_units"]),
             process["name"], process["number"], json.dumps(process["info"]), r["user"],
             r["batch_serial_number"], r["caused_dut_failure_id"], r["error_code"],
             json.dumps(r["artifact"])))
        for position, i in enumerate(stand["instruments"]):
            conn.execute("INSERT INTO instruments (run_id, position, name, revision,"
                         " serial_number, part_number, number, comment, info)"
                         " VALUES (?,?,?,?,?,?,?,?,?)",
                         (r["id"], position, i["name"], i["revision"], i["serial_number"],
                          i["part_number"], i["number"], i["comment"], json.dumps(i["info"])))
        position = 0
        for m_index, (module_id, module) in enumerate(r["modules"].items()):
            conn.execute("INSERT INTO modules VALUES (?,?,?,?,?,?)",
                         (r["id"], module_id, m_index, module["name"], module["group"],
                          json.dumps(module["artifact"])))
            for case_id, c in module["cases"].items():
                case_row += 1
                conn.execute(
                    "INSERT INTO cases VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (case_row, r["id"], module_id, case_id, c["attempt"], position, c["name"],
                     c["status"], c["start_time"], c["stop_time"], c["group"],
                     c["assertion_msg"], None if c["msg"] is None else json.dumps(c["msg"]),
                     None if c["chart"] is None else json.dumps(c["chart"]),
                     json.dumps(c["artifact"])))
                position += 1
                conn.executemany(
                    f"INSERT INTO measurements (case_row, position, {', '.join(_MEASUREMENT)})"
                    f" VALUES (?, ?{', ?' * len(_MEASUREMENT)})",
                    [(case_row, k, *(_bool(m.get(f)) if f in ("result", "casesensitive")
                                     else m.get(f) for f in _MEASUREMENT))
                     for k, m in enumerate(c["measurements"])])
    summarize_missing(conn)  # the production view's facts, as a stand's store has them
    conn.execute("COMMIT")
    return conn
