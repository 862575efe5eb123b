"""Read queries the pages need beyond StandCloud's report format."""

from __future__ import annotations

import sqlite3


def case_times(conn: sqlite3.Connection,
               run_id: str) -> dict[tuple[str, str], tuple[float | None, int]]:
    """Per case: the final attempt's duration in seconds (not rounded) and its attempts."""
    rows = conn.execute(
        "SELECT module_id, case_id, stop_time - start_time, attempt FROM final_cases "
        "WHERE run_id = ?", (run_id,))
    return {(module, case): (took, attempts) for module, case, took, attempts in rows}
