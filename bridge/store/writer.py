"""Writing one run into the store, one transaction per finished case.

The recorder keeps the running case in memory and hands it here when it finishes;
everything that case produced (its row, its measurements, its module's new state,
run-level fields set meanwhile, new instruments) lands in one transaction. A crash
therefore loses at most the case that was running, and a run costs one commit per
case whatever its size.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Mapping, Sequence
from typing import Any

from bridge.store.db import Store

RUN_COLUMNS = (
    "timezone", "stand_name", "stand_revision", "stand_location", "stand_number",
    "stand_info", "drivers", "dut_name", "dut_type", "dut_serial_number",
    "dut_part_number", "dut_revision", "dut_info", "dut_sub_units", "process_name",
    "process_number", "process_info", "user", "batch_serial_number",
    "caused_dut_failure_id", "error_code", "artifact",
)  # fmt: skip
_MEASUREMENT_SQL = (
    "INSERT INTO measurements (case_row, position, type, name, value, unit, operation,"
    " comparison_value, lower_limit, upper_limit, casesensitive, result)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_CASE_SQL = (
    "INSERT INTO cases (run_id, module_id, case_id, attempt, position, name, status,"
    " start_time, stop_time, grp, assertion_msg, msg, chart, artifact)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_MODULE_SQL = (
    "INSERT INTO modules (run_id, module_id, position, name, grp, artifact)"
    " VALUES (?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (run_id, module_id) DO UPDATE SET artifact = excluded.artifact"
)


def dumps(value: Any) -> str:
    if not value and isinstance(value, dict):
        return "{}"
    return json.dumps(value, allow_nan=False, separators=(",", ":"))


class RunWriter:
    """Writes the rows of one run; the recorder decides what and when."""

    def __init__(self, store: Store, run_id: str):
        self.store = store
        self.run_id = run_id

    def start(self, name: str, hw_id: str, started: float, fields: Mapping[str, Any]) -> None:
        columns = ["id", "name", "status", "start_time", "host", "pid", "hw_id", *fields]
        values = [self.run_id, name, "run", started, socket.gethostname(), os.getpid(),
                  hw_id, *(_column(value) for value in fields.values())]
        sql = (f"INSERT INTO runs ({', '.join(columns)}) "
               f"VALUES ({', '.join('?' * len(columns))})")
        with self.store.write() as conn:
            conn.execute(sql, values)

    def save_case(
        self,
        module: Mapping[str, Any] | None,
        case: Mapping[str, Any] | None,
        measurements: Sequence[tuple],
        run_fields: Mapping[str, Any],
        instruments: Sequence[Mapping[str, Any]],
    ) -> None:
        """Land a finished case with everything it changed, atomically.

        ``module`` is given only when the module's row is new or changed.
        """
        with self.store.write() as conn:
            self._run_fields(conn, run_fields)
            self._instruments(conn, instruments)
            if module is not None:
                conn.execute(_MODULE_SQL, (
                    self.run_id, module["module_id"], module["position"], module["name"],
                    module.get("group", "main"), dumps(module["artifact"]),
                ))
            if case is not None:
                row = conn.execute(_CASE_SQL, (
                    self.run_id, case["module_id"], case["case_id"], case["attempt"],
                    case["position"], case["name"], case["status"], case["start_time"],
                    case["stop_time"], case.get("group", "main"), case["assertion_msg"],
                    dumps(case["msg"]) if case["msg"] else None,
                    dumps(case["chart"]) if case["chart"] else None,
                    dumps(case["artifact"]),
                )).lastrowid
                if measurements:
                    conn.executemany(_MEASUREMENT_SQL, [(row, *m) for m in measurements])

    def finish(self, status: str, stopped: float, run_fields: Mapping[str, Any],
               instruments: Sequence[Mapping[str, Any]]) -> None:
        """Close the run and queue it for StandCloud, in one transaction."""
        with self.store.write() as conn:
            self._run_fields(conn, run_fields)
            self._instruments(conn, instruments)
            conn.execute("UPDATE runs SET status = ?, stop_time = ? WHERE id = ?",
                         (status, stopped, self.run_id))
            conn.execute("INSERT OR IGNORE INTO outbox (run_id, state, queued_at) "
                         "VALUES (?, 'pending', ?)", (self.run_id, time.time()))

    def _run_fields(self, conn: Any, fields: Mapping[str, Any]) -> None:
        if not fields:
            return
        assignments = ", ".join(f"{column} = ?" for column in fields)
        conn.execute(f"UPDATE runs SET {assignments} WHERE id = ?",
                     [*(_column(value) for value in fields.values()), self.run_id])

    def _instruments(self, conn: Any, instruments: Sequence[Mapping[str, Any]]) -> None:
        if not instruments:
            return
        conn.executemany(
            "INSERT INTO instruments (run_id, position, name, revision, serial_number,"
            " part_number, number, comment, info) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(self.run_id, i["position"], i["name"], i["revision"], i["serial_number"],
              i["part_number"], i["number"], i["comment"], dumps(i["info"]))
             for i in instruments],
        )


def _column(value: Any) -> Any:
    """Dicts and lists are stored as JSON text; scalars as they are."""
    return dumps(value) if isinstance(value, dict | list) else value
