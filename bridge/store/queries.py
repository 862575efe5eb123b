"""Reading runs back: lists with filters, run references, a run's cases."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bridge.errors import StoreError
from bridge.store.db import Store

_RELATIVE = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


@dataclass(frozen=True)
class RunFilter:
    part_number: str | None = None
    serial_number: str | None = None
    status: str | None = None
    since: float | None = None
    limit: int = 20


def parse_since(text: str) -> float:
    """'2h', '3d', '2026-11-01' or '2026-11-01T08:00' → Unix time."""
    match = _RELATIVE.match(text.strip())
    if match:
        return time.time() - float(match[1]) * _SECONDS[match[2]]
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        raise ValueError(f"--since {text!r}: give an age like 2h or 3d, or a date like "
                         "2026-11-01") from None


def list_runs(store: Store, where: RunFilter) -> list[dict[str, Any]]:
    clauses: list[str] = []
    params: list[str | float] = []
    for column, value in (("dut_part_number", where.part_number),
                          ("dut_serial_number", where.serial_number),
                          ("status", where.status)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    if where.since is not None:
        clauses.append("start_time >= ?")
        params.append(where.since)
    sql = ("SELECT id, name, status, start_time, stop_time, stand_name, dut_part_number,"
           " dut_serial_number, (SELECT COUNT(*) FROM final_cases c WHERE c.run_id = runs.id)"
           " AS cases FROM runs")
    if clauses:
        sql += " WHERE " + " AND ".join(clauses)
    sql += " ORDER BY start_time DESC LIMIT ?"
    return list(_dicts(store, sql, [*params, where.limit]))


def resolve_run(store: Store, reference: str) -> str:
    """A run id from 'last', a whole id, or a unique prefix of one."""
    if reference == "last":
        row = store.conn.execute(
            "SELECT id FROM runs ORDER BY start_time DESC, rowid DESC LIMIT 1").fetchone()
        if row is None:
            raise StoreError("the store holds no run yet", path=store.path)
        return row[0]
    matches = [row[0] for row in store.conn.execute(
        "SELECT id FROM runs WHERE id >= ? AND id < ? LIMIT 3",
        (reference, reference + "\uffff"))]
    if not matches:
        raise StoreError(f"no run {reference!r}", path=store.path)
    if len(matches) > 1 and reference not in matches:
        raise StoreError(f"run prefix {reference!r} is ambiguous; give more characters",
                         path=store.path)
    return reference if reference in matches else matches[0]


def case_rows(store: Store, run_id: str) -> Iterator[dict[str, Any]]:
    """Cases (every attempt) of a run with their measurements, in run order."""
    measurements: dict[int, list[dict[str, Any]]] = {}
    for m in _dicts(store, "SELECT m.* FROM measurements m JOIN cases c ON c.id = m.case_row "
                           "WHERE c.run_id = ? ORDER BY m.position", [run_id]):
        measurements.setdefault(m["case_row"], []).append(m)
    for case in _dicts(store, "SELECT * FROM cases WHERE run_id = ? ORDER BY position, attempt",
                       [run_id]):
        yield {**case, "measurements": measurements.get(case["id"], [])}


def _dicts(store: Store, sql: str, params: list[Any]) -> Iterator[dict[str, Any]]:
    """Rows as dicts keyed by column name (sqlite3 gives tuples)."""
    cursor = store.conn.execute(sql, params)
    names = [column[0] for column in cursor.description]
    for row in cursor:
        yield dict(zip(names, row, strict=True))
