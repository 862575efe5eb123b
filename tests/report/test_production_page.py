"""`bridge report --part-number P`: yield, retests, Pareto, capability and drift."""

from __future__ import annotations

import os
import re
import subprocess
import time

import pytest
from plan_support import BRIDGE, own_python
from production_store import DAY, PART, make_store
from report_browser import Browser, assert_seen_cleanly


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    folder = tmp_path_factory.mktemp("production")
    make_store(folder / "runs.db", time.time() - 3 * DAY).close()
    return folder


def report(folder, *args: str) -> subprocess.CompletedProcess[str]:
    return own_python().run([*BRIDGE, "--store", str(folder / "runs.db"),
                             "report", *args], cwd=folder, env=dict(os.environ), timeout=120)


@pytest.fixture(scope="module")
def seen(production, browser: Browser):
    page = production / "production.html"
    result = report(production, "--part-number", PART, "-o", str(page))
    assert result.returncode == 0, result.stderr
    return page, browser.open(page)


def test_page_opens_cleanly_with_every_chart_drawn(seen):
    page, view = seen
    assert_seen_cleanly(view, page)
    kinds = [kind for _, _, _, kind in view.charts]
    # yield per day, 2 Paretos, durations, then per measurement a histogram and a run chart
    assert kinds.count("histogram") == 2 and kinds.count("run") == 2
    assert kinds.count("bars") == 3 and kinds.count("line") == 1


def test_yields_count_units_not_runs(seen):
    _, view = seen
    # 40 units, 4 failed their first run, one of them never passed
    assert "First-pass yield 90.0 % · final yield 97.5 %" in view.dom
    assert "40 units, 44 runs" in view.dom
    assert re.search(r"stand-1</td><td class=\"num\">20</td>", view.dom)


def test_retests_and_pareto_name_the_failures(seen):
    _, view = seen
    assert "1 run: 36 units, 2 runs: 4 units" in view.dom
    for serial in ("SN-005", "SN-010", "SN-015", "SN-020"):
        assert serial in view.dom
    assert re.search(r"Failing cases.*?Load.*?5 \(100 % cum\.\)", view.dom, re.S)
    assert re.search(r"Failing measurements.*?load current.*?5", view.dom, re.S)


def test_the_drifting_rail_and_the_current_outliers_are_flagged(seen):
    _, view = seen
    rail = view.dom.split("<h3>rail 5V</h3>")[1].split("<h3>")[0]
    current = view.dom.split("<h3>load current</h3>")[1].split("<h3>")[0]
    # the last 5 units read 5.05 V, still inside [4.9, 5.1]: a drift before any failure
    assert "2 of 3 points beyond 2 sigma on one side" in rail
    assert "one point beyond 3 sigma" not in rail
    # the 131 mA failures stand far outside the current's control limits
    assert "one point beyond 3 sigma: 5 point(s)" in current
    assert "<th>Cpk, latest 44</th><th>Ppk, all</th>" in rail


def test_ppk_on_the_page_is_the_textbook_figure_of_the_stored_values(production, seen):
    import sqlite3
    import statistics

    conn = sqlite3.connect(production / "runs.db")
    values = [v for (v,) in conn.execute(
        "SELECT value FROM measurement_rows WHERE name = 'rail 5V'")]
    conn.close()
    mean, sigma = statistics.mean(values), statistics.stdev(values)
    ppk = min(5.1 - mean, mean - 4.9) / (3 * sigma)
    _, view = seen
    row = view.dom.split("<h3>rail 5V</h3>")[1].split("</table>")[0]
    cells = re.findall(r'<td class="num">([^<]*)</td>', row)
    assert cells[0] == "44" and float(cells[7]) == pytest.approx(ppk, rel=1e-3)


def test_filters_narrow_the_scope(production, tmp_path):
    page = tmp_path / "one-stand.html"
    result = report(production, "--part-number", PART, "--stand", "stand-1", "--since", "7d",
                    "-o", str(page))
    assert result.returncode == 0, result.stderr
    assert "20 units" in page.read_text() and "stand-2" not in page.read_text().split(
        "<h2>Pareto")[0].split("</p>", 1)[1]


def test_an_unknown_part_number_gives_an_empty_page_not_an_error(production, tmp_path):
    result = report(production, "--part-number", "NOPE", "-o", str(tmp_path / "none.html"))
    assert result.returncode == 0, result.stderr
    assert "No finished run in this scope" in (tmp_path / "none.html").read_text()


def test_a_bad_since_is_a_usage_error_naming_the_option(production):
    result = report(production, "--part-number", PART, "--since", "yesterday")
    assert result.returncode == 2 and "argument --since: 'yesterday'" in result.stderr
    assert "Traceback" not in result.stderr


def _written_run(store, run_id: str, started: float, serial: str, stand: str,
                 cases: list[list[tuple[str, float | None]]], status: str | None,
                 part: str = "PN-F", plan: str = "Board acceptance",
                 limits: tuple[float, float] = (4.9, 5.1)) -> None:
    """A run as a stand writes it: attempts one by one, finished (``status``) or not.
    ``cases``: per case its attempts as (status, value of "v<case>" or None); case 0's
    value has no limits."""
    from bridge.store.writer import RunWriter

    writer = RunWriter(store, run_id)
    writer.start(plan, "hw", started, {"stand_name": stand, "dut_part_number": part,
                                       "dut_serial_number": serial})
    module = {"module_id": "test_m", "position": 0, "name": "M", "artifact": {}}
    for position, attempts in enumerate(cases):
        for attempt, (case_status, value) in enumerate(attempts, 1):
            case = {"module_id": "test_m", "case_id": f"test_{position}", "attempt": attempt,
                    "position": position, "name": f"Case {position}", "status": case_status,
                    "start_time": started + position,
                    "stop_time": started + position + 0.25 * attempt, "assertion_msg": None,
                    "msg": None, "chart": None, "artifact": {}}
            values = [] if value is None else [
                (0, "numeric", f"v{position}", value, "V", "gele", None,
                 limits[0] if position else None, limits[1] if position else None, None,
                 int(limits[0] <= value <= limits[1])),
                (1, "string", "label", "ok", None, "eq", "ok", None, None, 1, 1)]
            writer.save_case(module if (position, attempt) == (0, 1) else None, case, values,
                             {}, [])
    if status is not None:
        writer.finish(status, started + 9, {}, [])


def _both_ways(conn, scope):
    """The figures by the facts tables and by the raw tables."""
    from bridge.pages import production_data as data
    from bridge.pages import production_facts as facts

    assert facts.complete(conn, scope)
    fast, raw = data.recent_values(conn, scope), data.recent_values(conn, scope)
    assert facts.fill_distributions(conn, scope, fast)
    data.fill_distributions(conn, scope, raw)
    return ((facts.runs(conn, scope), facts.case_stats(conn, scope), fast),
            (data.runs(conn, scope), data.case_stats(conn, scope), raw))


def test_the_facts_tables_give_the_figures_of_the_raw_tables(tmp_path):
    """Retried cases (only the final attempt counts), a stopped run, a killed one, one
    still running and one of another part: the fast path agrees with the plain joins."""
    from bridge.pages import production_data as data
    from bridge.pages import production_facts as facts
    from bridge.pages.production import production_page
    from bridge.pages.yields import yields
    from bridge.store import Store

    path, start = tmp_path / "runs.db", time.time() - 5 * DAY
    store = Store.open(path)
    for unit in range(30):
        bad = unit % 7 == 3
        first: list[tuple[str, float | None]] = [("passed", 5.0 + unit % 5 * 0.01)]
        # case 1 fails, is retried and passes (or fails again: the unit's run fails)
        retried = [("failed", 5.3), ("failed" if bad else "passed", 5.25 if bad else 4.95)]
        third = [("passed", 4.9 + unit % 3 * 0.1)]  # on the limit and the bin edges
        _written_run(store, f"run-{unit}", start + unit * DAY / 10, f"SN-{unit % 25}",
                     f"stand-{unit % 2}", [first, retried, third, [("skipped", None)]],
                     "failed" if bad else "passed",
                     plan="Board acceptance" if unit % 4 else "Rework")
    _written_run(store, "stopped", start + 3.5 * DAY, "SN-99", "stand-0",
                 [[("passed", 5.04)], [("failed", 6.0)]], "stopped")
    _written_run(store, "running", time.time(), "SN-98", "stand-1", [[("passed", 7.0)]], None)
    # the latest run has new limits for v1: its histogram cannot come from value_bins
    _written_run(store, "killed", start + 3.6 * DAY, "SN-97", "stand-1",
                 [[("passed", 5.03)], [("failed", 4.0), ("passed", 5.0)]], None,
                 limits=(4.8, 5.2))
    _written_run(store, "other", start + DAY, "SN-1", "stand-0", [[("failed", 9.0)]],
                 "failed", part="PN-OTHER")
    store.close()
    with Store.open(path) as store:  # the killed run's writer is gone: it is settled
        conn = store.conn
        statuses = dict(conn.execute("SELECT id, status FROM runs WHERE id IN"
                                     " ('killed', 'running', 'stopped')").fetchall())
        assert statuses == {"killed": "interrupted", "running": "run", "stopped": "stopped"}
        for scope in (data.Scope("PN-F"), data.Scope("PN-F", stand="stand-1"),
                      data.Scope("PN-F", test_plan="Rework"),
                      data.Scope("PN-F", since=start + 2 * DAY, stand="stand-0")):
            (runs, cases, series), (raw_runs, raw_cases, raw_series) = _both_ways(conn, scope)
            assert runs == raw_runs and runs
            assert [(c.name, c.count, c.failed) for c in cases] == [
                (c.name, c.count, c.failed) for c in raw_cases]
            for ours, theirs in zip(cases, raw_cases, strict=True):
                assert ours.mean == pytest.approx(theirs.mean)
                assert ours.longest == pytest.approx(theirs.longest)
            assert series.keys() == raw_series.keys() and series
            for name, s in series.items():
                r = raw_series[name]
                assert (s.counts, s.count, s.low, s.high, s.fails) == (
                    r.counts, r.count, r.low, r.high, r.fails), name
                assert (s.total, s.squares) == pytest.approx((r.total, r.squares)), name
            # the same page, but for the last digit of a figure whose sum was added up in
            # another order (a mean of 4.9875 may show 4.987 or 4.988)
            fast, slow = (re.split(r"(-?\d+\.\d+)", production_page(conn, scope, fast=f))
                          for f in (True, False))
            assert fast[::2] == slow[::2]
            assert [float(x) for x in fast[1::2]] == pytest.approx(
                [float(x) for x in slow[1::2]], rel=1e-3, abs=0.05)
        raw_runs = data.runs(conn, data.Scope("PN-F"))
        assert facts.unit_yields(conn, data.Scope("PN-F")) == (yields(raw_runs), len(raw_runs))
        assert "27 units, 32 runs" in production_page(conn, data.Scope("PN-F"))
        # a run that came in with a final status and no facts: the raw tables serve
        conn.execute("INSERT INTO runs (id, name, status, start_time, host, pid, hw_id,"
                     " dut_part_number) VALUES ('loaded', 'p', 'passed', 1, 'h', 1, 'hw',"
                     " 'PN-F')")
        assert not facts.complete(conn, data.Scope("PN-F"))
        assert "28 units, 33 runs" in production_page(conn, data.Scope("PN-F"))


def test_a_recovered_store_keeps_the_production_facts_of_what_it_saved(tmp_path):
    """`bridge store recover` copies rows with their final statuses (the trigger that
    keeps the facts never fires), so the copy summarizes them itself."""
    import sqlite3
    import time

    from production_store import make_store

    from bridge.store.repair import recover

    make_store(tmp_path / "runs.db", time.time() - 3 * 86400).close()
    recover(tmp_path / "runs.db", tmp_path / "copy.db")
    counts = []
    for name in ("runs.db", "copy.db"):
        conn = sqlite3.connect(tmp_path / name)
        counts.append(conn.execute(
            "SELECT (SELECT COUNT(*) FROM fact_runs), (SELECT COUNT(*) FROM value_facts),"
            " (SELECT SUM(count) FROM value_sums)").fetchone())
        conn.close()
    assert counts[0][0] > 0 and counts[1] == counts[0]
