"""The production view's figures from the facts tables (schema v3): the fast path.

The store copies a finished run's rows into fact_runs, case_facts and value_facts,
clustered per part number the way this view reads them (see bridge/store/schema.py).
Here each figure is one ordered scan without joins or sorts: the runs by time, the
case attempts grouped by case in key order, and a measurement's histogram bin by bin
as a range of its values. The bin of a value is still decided by the expression the
raw path uses (a range only narrows the scan), so both paths count alike. These are
used only when every finished run in scope has its facts (``complete``); otherwise
production_data reads the raw tables, as before.
"""

from __future__ import annotations

import math
import sqlite3
from collections import Counter, defaultdict

from bridge.pages.production_data import (
    BINS,
    CaseStats,
    RunRow,
    Scope,
    Series,
    add_bin,
    set_bins,
)
from bridge.pages.yields import Yield, Yields, day_of_quarter


def complete(conn: sqlite3.Connection, scope: Scope) -> bool:
    """Whether every finished run in scope has its facts (a store before v3, read
    without upgrading, has none; a recovered store's runs wait for a writer)."""
    if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'fact_runs'"
                    ).fetchone() is None:
        return False
    where, params = scope.where()
    finished = conn.execute(f"SELECT COUNT(*) FROM runs r WHERE {where}", params).fetchone()[0]
    where, params = scope.where("f", finished=True)
    summarized = conn.execute(f"SELECT COUNT(*) FROM fact_runs f WHERE {where}",
                              params).fetchone()[0]
    return bool(finished == summarized)


def runs(conn: sqlite3.Connection, scope: Scope) -> list[RunRow]:
    where, params = scope.where("f", finished=True)
    return [RunRow(*row) for row in conn.execute(
        f"SELECT id, dut_serial_number, stand_name, status, start_time FROM fact_runs f "
        f"WHERE {where} ORDER BY start_time, run_row", params)]


def unit_yields(conn: sqlite3.Connection, scope: Scope) -> tuple[Yields, int] | None:
    """The yields of all time and the number of runs, from unit_facts, as yields() gives
    them from every run; None if no run, or a filter (stand, test plan, since) makes a
    unit's first run in scope another than its first run."""
    if (scope.since, scope.stand, scope.test_plan) != (None, None, None):
        return None
    part = [scope.part_number]
    overall = Yield()
    by_stand: defaultdict[str, Yield] = defaultdict(Yield)
    by_day: defaultdict[str, Yield] = defaultdict(Yield)
    runs_per_unit: Counter[int] = Counter()
    run_count = 0
    # one grouped pass; a quarter hour lies within one day (yields.day_of), so Python
    # names the days as yields() does
    for stand, quarter, runs, units, first, final in conn.execute(
            "SELECT CASE WHEN first_stand IS NULL OR first_stand = '' THEN '—'"
            " ELSE first_stand END, CAST(first_start AS INTEGER) / 900, runs, COUNT(*),"
            " SUM(first_status = 'passed'), SUM(last_status = 'passed') FROM unit_facts"
            " WHERE dut_part_number = ? GROUP BY 1, 2, 3", part):
        for entry in (overall, by_stand[stand], by_day[day_of_quarter(quarter)]):
            entry.units += units
            entry.first_passed += first
            entry.finally_passed += final
        runs_per_unit[runs] += units
        run_count += runs * units
    if not overall.units:
        return None
    retested = conn.execute(
        "SELECT unit, runs FROM unit_facts WHERE dut_part_number = ? AND runs > 1"
        " AND substr(unit, 1, 4) != 'run:' ORDER BY runs DESC, unit LIMIT 20", part).fetchall()
    return Yields(overall, dict(sorted(by_stand.items())),
                  dict(sorted(by_day.items())), runs_per_unit, retested), run_count


def case_stats(conn: sqlite3.Connection, scope: Scope) -> list[CaseStats]:
    if scope.since is None:
        where, params = scope.where("f", finished=True)
        return [CaseStats(*row) for row in conn.execute(
            f"SELECT MAX(case_name), SUM(attempts), SUM(duration_total) / SUM(timed),"
            f" MAX(longest), SUM(failed) FROM case_sums f WHERE {where}"
            f" GROUP BY module_id, case_id ORDER BY module_id, case_id", params)]
    where, params = scope.where("f", finished=True)
    return [CaseStats(*row) for row in conn.execute(
        f"SELECT MAX(case_name), COUNT(*), AVG(duration), MAX(duration), SUM(failed) "
        f"FROM case_facts f WHERE {where} GROUP BY module_id, case_id", params)]


def fill_distributions(conn: sqlite3.Connection, scope: Scope, series: dict[str, Series]) -> bool:
    """Per name and bin, the running sums; False (nothing filled) if a bin range is not
    finite, which only the raw path's expression handles. Over all time the totals
    come from value_sums and the bins from value_bins (or counts of ranges of values,
    when limits changed or are missing); a scope --since sums per bin."""
    set_bins(series)
    if not all(math.isfinite(e) for s in series.values() for e in (s.edges[0], s.edges[-1])):
        return False
    by_range = [s for s in series.values() if scope.since is not None or not _fine(s)]
    if len(by_range) < len(series):
        summed = {s.name for s in by_range}
        counted = {name: s for name, s in series.items() if name not in summed}
        _totals(conn, scope, counted)
        for s in counted.values():
            if not _binned(conn, scope, s):
                _counts(conn, scope, s)
    where, params = scope.where("v", finished=True)
    sums = ("SELECT COUNT(*), SUM(v.value), SUM(v.value * v.value), MIN(v.value),"
            " MAX(v.value), SUM(v.result = 0) FROM value_facts v"
            f" WHERE {where} AND v.measurement = ?{{range}} AND {_BIN} = ?")
    first = sums.format(range=" AND v.value < ?")
    middle = sums.format(range=" AND v.value >= ? AND v.value < ?")
    last = sums.format(range=" AND v.value >= ?")
    for s in by_range:
        low, width, slack = _grid(s)
        for index in range(BINS):
            bounds: list[object] = []
            if index:
                bounds.append(s.edges[index] - slack)
            if index < BINS - 1:
                bounds.append(s.edges[index + 1] + slack)
            sql = first if index == 0 else last if index == BINS - 1 else middle
            count, *rest = conn.execute(
                sql, [*params, s.name, *bounds, low, width, index]).fetchone()
            if count:
                add_bin(s, index, count, *rest)
    return True


# A value's bin, as the raw path computes it; a range of values only narrows the scan.
_BIN = f"MIN(MAX(CAST((v.value - ?) / ? AS INTEGER), 0), {BINS - 1})"


def _grid(s: Series) -> tuple[float, float, float]:
    """Low edge, bin width, and a hair far wider than rounding (not than a bin): values
    nearer an edge than that are binned by the expression."""
    width = s.bin_width
    return s.bin_low, width, 1e-9 * (abs(s.edges[0]) + abs(s.edges[-1]) + width)


def _fine(s: Series) -> bool:
    """Whether the edge zones are far narrower than a bin (not so for a bin of 1e-3
    around 1e9): then the running sums and counts per range serve, no sums per bin."""
    _, width, slack = _grid(s)
    return 8 * slack < width


def _totals(conn: sqlite3.Connection, scope: Scope, series: dict[str, Series]) -> None:
    where, params = scope.where("v", finished=True)
    for name, count, total, squares, low, high, fails in conn.execute(
            f"SELECT measurement, SUM(count), SUM(total), SUM(squares), MIN(low), MAX(high),"
            f" SUM(fails) FROM value_sums v WHERE {where} GROUP BY measurement", params):
        s = series.get(name)
        if s is not None:
            s.count, s.total, s.squares, s.low, s.high, s.fails = (
                count, total, squares, low, high, fails)


def _binned(conn: sqlite3.Connection, scope: Scope, s: Series) -> bool:
    """The histogram from value_bins, if every value in scope was binned by the limits
    the view bins by (the name's latest); False, nothing counted, otherwise."""
    if s.lower is None or s.upper is None or not s.upper > s.lower:
        return False
    where, params = scope.where("v", finished=True)
    rows = conn.execute(f"SELECT lower_limit, upper_limit, bin, SUM(count) FROM value_bins v"
                        f" WHERE {where} AND v.measurement = ? GROUP BY 1, 2, 3",
                        [*params, s.name]).fetchall()
    if any((lower, upper) != (s.lower, s.upper) or index < 0
           for lower, upper, index, _ in rows):
        return False
    for _, _, index, count in rows:
        s.counts[index] += count
    return True


def _counts(conn: sqlite3.Connection, scope: Scope, s: Series) -> None:
    """The histogram: values well inside a bin are counted as a range; the few near an
    edge, if any, are binned one by one."""
    where, params = scope.where("v", finished=True)
    low, width, slack = _grid(s)
    head = f"SELECT COUNT(*) FROM value_facts v WHERE {where} AND v.measurement = ?"
    for index in range(BINS):
        bounds = ([" AND v.value >= ?"], [s.edges[index] + slack]) if index else ([], [])
        if index < BINS - 1:
            bounds[0].append(" AND v.value < ?")
            bounds[1].append(s.edges[index + 1] - slack)
        s.counts[index] += conn.execute(head + "".join(bounds[0]),
                                        [*params, s.name, *bounds[1]]).fetchone()[0]
    near = (f"SELECT {_BIN}, COUNT(*) FROM value_facts v WHERE {where} AND v.measurement = ?"
            f" AND v.value >= ? AND v.value < ? GROUP BY 1")
    for edge in s.edges[1:-1]:
        for index, count in conn.execute(
                near, [low, width, *params, s.name, edge - slack, edge + slack]):
            s.counts[index] += count
