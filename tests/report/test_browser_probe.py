"""The browser checks can fail: a page that reaches out, logs an error or draws nothing."""

from __future__ import annotations

import pytest
from report_browser import Browser, assert_seen_cleanly

BAD = """<!doctype html><html><body>
<img src="http://127.0.0.1:9/logo.png">
<svg class="chart" data-kind="empty" viewBox="0 0 10 10"></svg>
<script>console.error("broken chart")</script></body></html>"""


@pytest.fixture(scope="module")
def bad_page_seen(tmp_path_factory, browser: Browser):
    folder = tmp_path_factory.mktemp("bad")
    page = folder / "bad.html"
    page.write_text(BAD, encoding="utf-8")
    return page, browser.open(page)


def test_a_request_leaving_the_file_is_seen(bad_page_seen):
    _, seen = bad_page_seen
    assert seen.requests == ["http://127.0.0.1:9/logo.png"]


def test_a_console_error_is_seen(bad_page_seen):
    _, seen = bad_page_seen
    assert any("broken chart" in line for line in seen.console)


def test_an_empty_chart_is_seen(bad_page_seen):
    _, seen = bad_page_seen
    assert [(shapes, kind) for _, _, shapes, kind in seen.charts] == [(0, "empty")]


def test_the_clean_check_refuses_the_bad_page(bad_page_seen):
    page, seen = bad_page_seen
    with pytest.raises(AssertionError):
        assert_seen_cleanly(seen, page)
