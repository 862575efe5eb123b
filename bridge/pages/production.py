"""The production view: yield, retests, Pareto of failures, capability and drift."""

from __future__ import annotations

import sqlite3
from html import escape

from bridge.pages import production_data as data
from bridge.pages import production_facts as facts
from bridge.pages import stats, svg
from bridge.pages.layout import duration, page, text, when
from bridge.pages.yields import Yield, Yields, yields


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f} %"


def _yield_table(title: str, rows: dict[str, Yield]) -> str:
    cells = "".join(f"<tr><td>{escape(key)}</td><td class='num'>{y.units}</td>"
                    f"<td class='num'>{_percent(y.first_pass)}</td>"
                    f"<td class='num'>{_percent(y.final)}</td></tr>" for key, y in rows.items())
    return (f"<div><h3>{escape(title)}</h3><table><tr><th></th><th>units</th><th>first pass"
            f"</th><th>final</th></tr>{cells}</table></div>")


def _yield_section(y: Yields, run_count: int) -> str:
    days = list(y.by_day.items())
    trend = ""
    if len(days) > 1:
        xs = list(range(1, len(days) + 1))
        trend = svg.line_chart(
            [("first pass", xs, [100 * (v.first_pass or 0) for _, v in days]),
             ("final", xs, [100 * (v.final or 0) for _, v in days])],
            title="Yield per day (units by the day of their first run)", x_label="day",
            y_label="yield, %", x_names=[day[5:] for day, _ in days])
    spread = ", ".join(f"{n} run{'s' if n > 1 else ''}: {units} units"
                       for n, units in sorted(y.runs_per_unit.items()))
    retested = "".join(f"<tr><td>{escape(s)}</td><td class='num'>{n}</td></tr>"
                       for s, n in y.most_retested)
    retests = (f"<table><tr><th>serial number</th><th>runs</th></tr>{retested}</table>"
               if retested else "<p class='muted'>No unit was tested twice.</p>")
    return (
        f"<div class='banner other'>First-pass yield {_percent(y.overall.first_pass)} · "
        f"final yield {_percent(y.overall.final)}<small>{y.overall.units} units, "
        f"{run_count} runs</small></div><h2>Yield</h2><div class='facts'>"
        f"{_yield_table('per stand', y.by_stand)}{_yield_table('per day', y.by_day)}</div>"
        f"{trend}<h2>Retests</h2><p>{escape(spread)}</p>{retests}"
    )


def _measurement(s: data.Series) -> str:
    """Ppk over every run in scope (long-term performance); Cpk over the latest runs
    (short-term capability now: their mean and their moving-range sigma)."""
    summary = stats.summarize(s.count, s.total, s.squares, 0.0, 0)
    recent = stats.summary_of(s.recent)
    cpk = stats.capability(recent.mean, recent.sigma_within, s.lower, s.upper)
    ppk = stats.capability(summary.mean, summary.sigma_overall, s.lower, s.upper)
    unit = f", {s.unit}" if s.unit else ""
    hist = svg.histogram(s.edges, s.counts, title=f"{s.name}: distribution",
                         x_label=f"{s.name}{unit}",
                         lines=[(s.lower, "#d62728", "LSL"), (s.upper, "#d62728", "USL"),
                                (summary.mean, "#2ca02c", "mean")])
    limits = stats.individuals_limits(s.recent)
    rules = stats.drift_rules(s.recent, limits)
    flagged = set().union(*rules.values())
    run = svg.run_chart(s.recent, title=f"{s.name}: latest {len(s.recent)} runs",
                        y_label=f"{s.name}{unit}", centre=limits.centre, lcl=limits.lower,
                        ucl=limits.upper, flagged=flagged, limits=(s.lower, s.upper))
    alerts = "".join(f"<li class='flag'>{escape(stats.RULES[rule])}: {len(points)} point(s)"
                     f"</li>" for rule, points in rules.items() if points)
    verdict = "<ul>" + alerts + "</ul>" if alerts else "<p>No drift rule fired.</p>"

    def fmt(value: float | None) -> str:
        return "—" if value is None or value != value else svg.number(value)

    return (
        f"<h3>{escape(s.name)}</h3><table><tr><th>n</th><th>mean</th>"
        "<th>&sigma; overall</th><th>&sigma; within, latest</th><th>LSL</th><th>USL</th>"
        f"<th>Cpk, latest {len(s.recent)}</th><th>Ppk, all</th><th>failed</th></tr>"
        f"<tr><td class='num'>{s.count}</td><td class='num'>{fmt(summary.mean)}</td>"
        f"<td class='num'>{fmt(summary.sigma_overall)}</td>"
        f"<td class='num'>{fmt(recent.sigma_within)}</td><td class='num'>{fmt(s.lower)}</td>"
        f"<td class='num'>{fmt(s.upper)}</td><td class='num'>{fmt(cpk)}</td>"
        f"<td class='num'>{fmt(ppk)}</td><td class='num'>{s.fails}</td></tr></table>"
        f"<div class='charts'>{hist}{run}</div>{verdict}"
    )


def render_production(scope: data.Scope, runs: tuple[Yields, int] | None,
                      cases: list[data.CaseStats], series: dict[str, data.Series]) -> str:
    """``runs``: the yields and the number of runs, None if no finished run is in scope."""
    scope_text = " · ".join(part for part in (
        f"part number {scope.part_number}",
        f"since {when(scope.since)}" if scope.since else "",
        f"stand {scope.stand}" if scope.stand else "",
        f"test plan {scope.test_plan}" if scope.test_plan else "") if part)
    title = f"Production: {scope.part_number}"
    head = f"<h1>{escape(title)}</h1><p class='muted'>{escape(scope_text)}</p>"
    if not runs:
        return page(title, head + "<div class='banner other'>No finished run in this scope"
                    "</div>")
    parts = [head, _yield_section(*runs), "<h2>Pareto of failures</h2>"]
    failing_m = data.failing_measurements(series.values())
    failing_cases, durations = data.failing_cases(cases), data.slowest_cases(cases)
    parts.append(svg.bars(failing_cases, title="Failing cases (final attempt)", cumulative=True)
                 if failing_cases else "<p class='muted'>No case failed.</p>")
    parts.append(svg.bars(failing_m, title="Failing measurements", cumulative=True)
                 if failing_m else "<p class='muted'>No measurement failed.</p>")
    parts.append("<h2>Case durations (slowest first)</h2>")
    if durations:
        parts.append(svg.bars([(d.name, d.mean) for d in durations if d.mean is not None],
                              title="Mean duration per case", unit=" s"))
        rows = "".join(f"<tr><td>{text(d.name)}</td><td class='num'>{d.count}</td>"
                       f"<td class='num'>{duration(d.mean)}</td>"
                       f"<td class='num'>{duration(d.longest)}</td></tr>" for d in durations)
        parts.append("<table><tr><th>case</th><th>attempts</th><th>mean</th><th>longest</th>"
                     "</tr>"
                     f"{rows}</table>")
    parts.append("<h2>Measurements: capability and drift</h2>")
    parts.extend(_measurement(s) for s in series.values() if s.count)
    return page(title, "".join(parts))


def production_page(conn: sqlite3.Connection, scope: data.Scope, *, fast: bool = True) -> str:
    """The page, from the facts tables when they hold every run in scope (``fast``
    False: from the raw tables, which the tests compare it with)."""
    # sorts of millions of rows stay in memory instead of spilling to temp files
    conn.execute("PRAGMA temp_store = MEMORY")
    series = data.recent_values(conn, scope)
    if fast and facts.complete(conn, scope) and facts.fill_distributions(conn, scope, series):
        units = facts.unit_yields(conn, scope)
        if units is None:
            runs = facts.runs(conn, scope)
            units = (yields(runs), len(runs)) if runs else None
        return render_production(scope, units, facts.case_stats(conn, scope), series)
    runs = data.runs(conn, scope)
    data.fill_distributions(conn, scope, series)
    return render_production(scope, (yields(runs), len(runs)) if runs else None,
                             data.case_stats(conn, scope), series)
