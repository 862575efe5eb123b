"""A small store of production runs with known yields, failures and one drift."""

from __future__ import annotations

import uuid
from pathlib import Path

from bridge.store import Store
from bridge.store.schema_v3 import summarize_missing

PART = "PN-1"
UNITS = 40
FIRST_FAILS = {5, 10, 15, 20}   # their first run fails "Load" (current 131 mA)
NEVER_PASSES = 20               # ... and this one fails its retest too
DRIFT_FROM = 36                 # units from here on read the 5 V rail 5.05 V: a drift
DAY = 86400.0


def make_store(path: Path, start: float) -> Store:
    """UNITS units on two stands over two days: FPY 36/40, final 39/40."""
    store = Store.open(path)
    runs, modules, cases, measurements = [], [], [], []
    case_row, at = 0, start
    for unit in range(1, UNITS + 1):
        tries = 2 if unit in FIRST_FAILS else 1
        for attempt in range(tries):
            failed = (attempt == 0 and unit in FIRST_FAILS) or unit == NEVER_PASSES
            run = str(uuid.UUID(int=unit * 10 + attempt))
            at += DAY / UNITS
            runs.append((run, "Board acceptance", "failed" if failed else "passed", at, at + 9,
                         "host", 1, "hw", f"stand-{unit % 2 + 1}", PART, f"SN-{unit:03d}"))
            modules.append((run, "test_board", 0, "Board"))
            rail = 5.05 if unit >= DRIFT_FROM else (4.99 if unit % 2 else 5.01)
            current = 131.0 if failed else 60.0 + unit % 3
            for position, (name, took, m_name, value, low, high, unit_name) in enumerate((
                    ("Rails", 2.0, "rail 5V", rail, 4.9, 5.1, "V"),
                    ("Load", 6.0, "load current", current, 20.0, 120.0, "mA"))):
                case_row += 1
                passed = low <= value <= high
                cases.append((case_row, run, "test_board", f"test_{name.lower()}", 1, position,
                              name, "passed" if passed else "failed", at, at + took))
                measurements.append((case_row, 0, "numeric", m_name, value, unit_name, "gele",
                                     low, high, int(passed)))
    with store.write() as tx:
        tx.executemany("INSERT INTO runs (id, name, status, start_time, stop_time, host, pid,"
                       " hw_id, stand_name, dut_part_number, dut_serial_number)"
                       " VALUES (?,?,?,?,?,?,?,?,?,?,?)", runs)
        tx.executemany("INSERT INTO modules (run_id, module_id, position, name)"
                       " VALUES (?,?,?,?)", modules)
        tx.executemany("INSERT INTO cases (id, run_id, module_id, case_id, attempt, position,"
                       " name, status, start_time, stop_time) VALUES (?,?,?,?,?,?,?,?,?,?)",
                       cases)
        tx.executemany("INSERT INTO measurements (case_row, position, type, name, value, unit,"
                       " operation, lower_limit, upper_limit, result)"
                       " VALUES (?,?,?,?,?,?,?,?,?,?)", measurements)
        summarize_missing(tx)  # as the store's trigger does when a run finishes
    return store
