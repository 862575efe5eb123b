"""Read queries of the production view: SQL does the passes over many rows.

A store of 100,000 runs holds millions of measurements; Python only ever sees
aggregates: per measurement name and histogram bin one row of running sums (count,
sum of x and of x squared, fails), computed in one scan with one sort, as cheap as
a bare GROUP BY. Bins are fixed before that scan from the limits (or, without limits,
from the latest runs). What needs the time order (moving ranges, the run chart,
hence Cpk and the drift rules) is computed on the latest runs only, which an index
gives cheaply; so the measurements shown are those of the latest runs (one dropped
from the plan long ago is not). Only the final attempt of a case counts; runs still
running are left out.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field

BINS = 24
RECENT_RUNS = 200  # the run chart shows the latest runs, oldest to newest


@dataclass(frozen=True)
class Scope:
    part_number: str
    since: float | None = None
    stand: str | None = None
    test_plan: str | None = None

    def where(self, alias: str = "r", *, finished: bool = False) -> tuple[str, list[object]]:
        """The scope as SQL on a table with the runs table's column names; ``finished``:
        it holds finished runs only (the facts tables), so the status is not asked."""
        clauses = [f"{alias}.dut_part_number = ?"]
        if not finished:
            clauses.append(f"{alias}.status != 'run'")
        params: list[object] = [self.part_number]
        for column, value in (("start_time >=", self.since), ("stand_name =", self.stand),
                              ("name =", self.test_plan)):
            if value is not None:
                clauses.append(f"{alias}.{column} ?")
                params.append(value)
        return " AND ".join(clauses), params


FINAL = ("NOT EXISTS (SELECT 1 FROM cases later WHERE later.run_id = c.run_id"
         " AND later.position = c.position AND later.attempt > c.attempt)")
NUMERIC = "m.type = 'numeric' AND typeof(m.value) IN ('integer', 'real')"


@dataclass
class RunRow:
    run_id: str
    serial: str | None
    stand: str | None
    status: str
    start: float


def runs(conn: sqlite3.Connection, scope: Scope) -> list[RunRow]:
    where, params = scope.where()
    return [RunRow(*row) for row in conn.execute(
        f"SELECT id, dut_serial_number, stand_name, status, start_time FROM runs r "
        f"WHERE {where} ORDER BY start_time", params)]


@dataclass
class CaseStats:
    name: str
    count: int          # attempts, each of which took time
    mean: float | None  # seconds
    longest: float | None
    failed: int         # runs whose final attempt of this case failed


def case_stats(conn: sqlite3.Connection, scope: Scope) -> list[CaseStats]:
    """Per case, in one pass: durations of every attempt and final failures."""
    where, params = scope.where()
    return [CaseStats(*row) for row in conn.execute(
        f"SELECT MAX(c.name), COUNT(*), AVG(c.stop_time - c.start_time),"
        f" MAX(c.stop_time - c.start_time),"
        f" SUM(CASE WHEN c.status IN ('failed', 'error') AND {FINAL} THEN 1 ELSE 0 END) "
        f"FROM runs r JOIN cases c ON c.run_id = r.id WHERE {where} "
        f"GROUP BY c.module_id, c.case_id", params)]


def failing_cases(cases: Iterable[CaseStats], top: int = 15) -> list[tuple[str, int]]:
    ranked = sorted(((c.name, c.failed) for c in cases if c.failed), key=lambda x: (-x[1], x[0]))
    return ranked[:top]


def slowest_cases(cases: Iterable[CaseStats], top: int = 15) -> list[CaseStats]:
    timed = [c for c in cases if c.mean is not None]
    return sorted(timed, key=lambda c: -(c.mean or 0))[:top]


@dataclass
class Series:
    """One numeric measurement name across the scope."""

    name: str
    unit: str | None
    lower: float | None
    upper: float | None
    recent: list[float] = field(default_factory=list)  # latest runs, oldest first
    edges: list[float] = field(default_factory=list)
    bin_low: float = 0.0    # a value's bin: (value - bin_low) / bin_width, truncated
    bin_width: float = 0.0
    counts: list[int] = field(default_factory=list)
    count: int = 0
    total: float = 0.0
    squares: float = 0.0
    low: float = float("inf")
    high: float = float("-inf")
    fails: int = 0


def recent_values(conn: sqlite3.Connection, scope: Scope) -> dict[str, Series]:
    """The latest runs' values, and each name's unit and limits as last recorded."""
    where, params = scope.where()
    rows = conn.execute(
        f"WITH latest AS (SELECT id, start_time FROM runs r WHERE {where} "
        f" ORDER BY start_time DESC, rowid DESC LIMIT ?) "
        f"SELECT m.name, m.value, m.unit, m.lower_limit, m.upper_limit FROM latest r "
        f"JOIN cases c ON c.run_id = r.id JOIN measurements m ON m.case_row = c.id "
        f"WHERE {NUMERIC} AND {FINAL} ORDER BY r.start_time, c.position, m.position",
        [*params, RECENT_RUNS])
    series: dict[str, Series] = {}
    for name, value, unit, lower, upper in rows:
        found = series.get(name)
        if found is None:
            found = series[name] = Series(name, unit, lower, upper)
        found.unit, found.lower, found.upper = unit, lower, upper
        found.recent.append(value)
    return series


def _bin_range(s: Series) -> tuple[float, float]:
    if s.lower is not None and s.upper is not None and s.upper > s.lower:
        pad = (s.upper - s.lower) * 0.25
        return s.lower - pad, s.upper + pad
    low, high = min(s.recent), max(s.recent)
    pad = (high - low) * 0.5 or abs(low) * 0.1 or 1.0
    return low - pad, high + pad


def set_bins(series: dict[str, Series]) -> None:
    """Each series' histogram edges, fixed before any value is counted."""
    for s in series.values():
        low, high = _bin_range(s)
        s.edges = [low + (high - low) * i / BINS for i in range(BINS + 1)]
        s.bin_low, s.bin_width = low, (high - low) / BINS
        s.counts = [0] * BINS


def add_bin(s: Series, index: int, count: int, total: float, squares: float, low: float,
            high: float, fails: int | None) -> None:
    """One bin's running sums, into the bin and the series' totals."""
    s.counts[index] += count
    s.count += count
    s.total += total
    s.squares += squares
    s.low, s.high = min(s.low, low), max(s.high, high)
    s.fails += fails or 0


def fill_distributions(conn: sqlite3.Connection, scope: Scope, series: dict[str, Series]) -> None:
    """One scan over every value in scope: per name and bin, the running sums."""
    if not series:
        return
    set_bins(series)
    bins: list[object] = []
    for s in series.values():
        bins += [s.name, s.bin_low, s.bin_width]
    where, params = scope.where()
    values = ", ".join("(?, ?, ?)" for _ in series)
    rows = conn.execute(
        f"WITH bins(name, low, width) AS (VALUES {values}) "
        f"SELECT m.name, MIN(MAX(CAST((m.value - b.low) / b.width AS INTEGER), 0), {BINS - 1}),"
        f" COUNT(*), SUM(m.value), SUM(m.value * m.value), MIN(m.value), MAX(m.value),"
        f" SUM(m.result = 0) "
        # CROSS JOIN fixes the order: runs outermost, the 20-row bins innermost; left
        # to itself the planner put bins outside and scanned everything once per name.
        f"FROM runs r CROSS JOIN cases c ON c.run_id = r.id CROSS JOIN measurements m"
        f" ON m.case_row = c.id CROSS JOIN bins b ON b.name = m.name"
        f" WHERE {where} AND {NUMERIC} AND {FINAL} GROUP BY 1, 2", [*bins, *params])
    for name, *sums in rows:
        add_bin(series[name], *sums)


def failing_measurements(series: Iterable[Series], top: int = 15) -> list[tuple[str, int]]:
    ranked = sorted(((s.name, s.fails) for s in series if s.fails), key=lambda x: (-x[1], x[0]))
    return ranked[:top]
