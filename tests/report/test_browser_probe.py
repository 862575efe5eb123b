"""The browser checks can fail: a page that reaches out, logs an error or draws nothing,
and a Chromium that does not answer."""

from __future__ import annotations

import pytest
from devtools import DevToolsError
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


def test_a_chromium_that_does_not_answer_is_named_with_the_method_and_page(browser: Browser):
    """An event that never comes: the wait ends at the timeout (short here, as nothing
    can arrive) with the method and the page in the message."""
    devtools = browser.devtools()
    timeout, devtools.timeout = devtools.timeout, 0.2
    try:
        with pytest.raises(DevToolsError, match=r"did not answer Page\.neverSent opening "
                           r"page\.html within 0\.2 s"):
            devtools.wait_event("no-session", "Page.neverSent", "opening page.html")
    finally:
        devtools.timeout = timeout
    with pytest.raises(DevToolsError, match=r"refused Page\.noSuchMethod opening page\.html"):
        devtools.call("Page.noSuchMethod", doing="opening page.html")


def test_a_page_keeping_storage_is_refused_and_the_next_page_starts_clean(tmp_path,
                                                                          browser: Browser):
    """Pages share one tab: one that left storage behind would be seen by the next."""
    keeper, clean = tmp_path / "keeper.html", tmp_path / "clean.html"
    keeper.write_text("<!doctype html><script>localStorage.setItem('k', '1')</script>")
    clean.write_text("<!doctype html><p id=n></p><script>document.getElementById('n')"
                     ".textContent = localStorage.length</script>")
    with pytest.raises(AssertionError, match=r"keeper\.html keeps 1 items in storage"):
        browser.open(keeper)
    assert '<p id="n">0</p>' in browser.open(clean).dom  # a new tab, a new context
