"""`bridge report RUN`: one run as a self-contained page, checked in headless Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from plan_support import Plan
from report_browser import Browser, Seen, assert_seen_cleanly
from report_support import write_page

# how many <details> are closed on screen, and once the page is told it will be printed
FOLDED = """{ const all = [...document.querySelectorAll('details')];
  document.body.dataset.closed = all.filter(d => !d.open).length;
  dispatchEvent(new Event('beforeprint'));
  document.body.dataset.after = all.filter(d => !d.open).length; }"""


@pytest.fixture(scope="module")
def run_page(rich_run: Plan, browser: Browser) -> tuple[Path, Seen]:
    """The rich run's page as Chromium shows it, opened once for the module: on screen,
    then through what happens before printing, then printed."""
    page = write_page(rich_run, "last")
    return page, browser.open(page, script=FOLDED, pdf=True)


def test_run_page_shows_banner_people_instruments_and_every_case(run_page):
    page, seen = run_page
    assert_seen_cleanly(seen, page)
    assert re.search(r"class=\"banner fail\"[^>]*>FAIL", seen.dom)
    for fact in ("SN-0042", "PB-7", "Stand A", "Ada Operator", "LOT-77", "PSU-3000", "P9",
                 "fw 2.1"):
        assert fact in seen.dom, fact
    for case in ("Identity", "Rails", "Filter response", "Load current", "Flaky link"):
        assert case in seen.dom, case
    assert "2 tries" in seen.dom  # the flaky case passed on its second attempt
    assert "rails within limits" in seen.dom


def test_each_chart_is_drawn_with_its_axes_and_units(run_page):
    _, seen = run_page
    kinds = [kind for _, _, _, kind in seen.charts]
    assert kinds == ["line", "line"]
    for label in ("time, ms", "voltage, V", "frequency, Hz", "gain, dB", "5V", "3V3"):
        assert label in seen.dom, label


def test_measurements_show_their_window_margin_and_verdict(run_page):
    dom = run_page[1].dom
    # rail 5V: 5.03 in [4.9, 5.1] is 0.07 from the upper limit, 35 % of the 0.2 window
    assert re.search(r"rail 5V.*?\[4\.9, 5\.1\].*?class=\"g\".*?35\.0 %.*?passed", dom, re.S)
    # load current 131 mA above [20, 120]: outside by 11 of 100, margin -11 %
    assert re.search(r"load current.*?-11\.0 %.*?failed", dom, re.S)
    assert "ripple" in dom and "≤ 20" in dom


def test_a_failed_assertion_is_shown_as_text(rich_run, tmp_path):
    result = rich_run.bridge("report", "last", "-o", str(tmp_path / "r.html"))
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "r.html").read_text()
    assert "load current" in text
    # artifacts and info are there, folded away until opened (or printed)
    assert "<details><summary>case artifact</summary>" in text
    assert "<details><summary>run artifact</summary>" in text


def test_the_page_prints_on_a4_with_every_case(run_page):
    data = run_page[1].pdf
    assert data.startswith(b"%PDF")
    # A4 in points is 595 x 842: every page of the PDF has that media box
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\]", data)
    assert boxes and all(round(float(w)) == 595 and round(float(h)) == 842 for w, h in boxes)


def test_folded_artifacts_open_before_printing(run_page):
    dom = run_page[1].dom
    assert re.search(r'data-closed="[1-9]\d*"', dom)  # folded on screen
    assert 'data-after="0"' in dom  # all open on paper


def test_unknown_run_and_conflicting_options_are_one_clear_error(rich_run):
    missing = rich_run.bridge("report", "no-such-run")
    assert missing.returncode == 1 and "no run 'no-such-run'" in missing.stderr
    both = rich_run.bridge("report", "last", "--part-number", "PB-7")
    assert both.returncode == 2 and "not both" in both.stderr
    assert "Traceback" not in missing.stderr + both.stderr
