"""`bridge report --part-number P`: yield, retests, Pareto, capability and drift."""

from __future__ import annotations

import re
import subprocess
import sys
import time

import pytest
from production_store import DAY, PART, make_store
from report_browser import assert_seen_cleanly, open_page


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    folder = tmp_path_factory.mktemp("production")
    make_store(folder / "runs.db", time.time() - 3 * DAY).close()
    return folder


def report(folder, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bridge.cli.main", "--store",
                           str(folder / "runs.db"), "report", *args], capture_output=True,
                          text=True, timeout=120, cwd=folder)


@pytest.fixture(scope="module")
def seen(production, tmp_path_factory):
    page = production / "production.html"
    result = report(production, "--part-number", PART, "-o", str(page))
    assert result.returncode == 0, result.stderr
    return page, open_page(page, tmp_path_factory.mktemp("browser"))


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
