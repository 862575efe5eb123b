"""What a person sees: a page opened in Debian's headless Chromium, with no network.

One Chromium serves the whole test session (the ``browser`` fixture), and one tab of its
own browser context shows page after page: a new document for each, so no page's
script or DOM outlives it (a fresh context per page cost 0.4 s of renderer start-up).
Pages may not keep storage, which the tab would carry over: that is checked on each.
After a page that failed, the tab is closed and the next page gets a new one. The
protocol tells us what the page did: every console message, uncaught exception and log
entry, every request it made beyond loading itself. After the load event, virtual time
runs 5 s ahead (as ``--virtual-time-budget=5000`` did), so timers the page set have fired;
then every chart is measured after layout and the DOM is read (and the page printed).
"""

from __future__ import annotations

import base64
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from devtools import DevTools, DevToolsError, Message

TIMEOUT = 120.0  # per protocol call: generous, the CI machine is shared and loaded

CHART_SIZES = """[...document.querySelectorAll('svg.chart')].map(s => {
  const box = s.getBoundingClientRect();
  return [Math.round(box.width), Math.round(box.height), s.querySelectorAll(
    'polyline,rect,circle,line').length, s.dataset.kind];
})"""

STORAGE = "localStorage.length + sessionStorage.length"

# US Letter, Chromium's own default: a PDF on A4 then proves the page's `@page` rule
LETTER = {"paperWidth": 8.5, "paperHeight": 11.0}


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail("Chromium is missing: `make test` installs it (apt-get install chromium)")
    return found


def flags(profile: Path) -> list[str]:
    return [chromium(), "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", f"--user-data-dir={profile}", "--disable-dev-shm-usage"]


@dataclass
class Seen:
    dom: str
    charts: list[list]  # [width, height, shapes, kind] per svg.chart
    console: list[str]  # console messages, uncaught exceptions, log entries
    requests: list[str]  # URLs the page asked for, itself left out
    pdf: bytes = b""  # the page printed, when asked for


class Browser:
    """Chromium, started on the first page asked for and kept until ``close``."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self._devtools: DevTools | None = None
        self._tab_ids: tuple[str, str] | None = None  # (browser context, session)

    def open(self, page: Path, script: str = "", pdf: bool = False) -> Seen:
        """``page`` as shown on screen; ``script`` runs in it after the load event,
        before the charts are measured; ``pdf``: then print it as Chromium's
        --print-to-pdf does (the page's own paper size, backgrounds, no header)."""
        with self._tab(page) as (devtools, session, loader):
            doing = f"opening {page}"
            if script:
                self._evaluate(devtools, session, script, doing)
            charts = self._evaluate(devtools, session, CHART_SIZES, doing)
            dom = self._evaluate(devtools, session, "document.documentElement.outerHTML",
                                 doing)
            printed = b""
            if pdf:
                printed = base64.b64decode(devtools.call("Page.printToPDF", {
                    **LETTER, "preferCSSPageSize": True, "printBackground": True,
                    "displayHeaderFooter": False}, session, f"printing {page}")["data"])
            events = devtools.events.get(session, [])
        requests = sorted({e["params"]["request"]["url"] for e in events
                           if e["method"] == "Network.requestWillBeSent"
                           and e["params"]["requestId"] != loader})
        return Seen(dom, charts, [line for e in events if (line := _console(e))], requests,
                    printed)

    @contextmanager
    def _tab(self, page: Path) -> Iterator[tuple[DevTools, str, str]]:
        """The tab with ``page`` loaded and 5 s of virtual time run; yields the protocol,
        the tab's session and the loader id of the page's own navigation."""
        devtools = self.devtools()
        doing = f"opening {page}"
        if self._tab_ids is None:
            self._tab_ids = self._new_tab(devtools, doing)
        context, session = self._tab_ids
        devtools.events.pop(session, None)  # the last page's
        devtools.events.pop("", None)
        try:
            # the last page's budget ran out, which pauses virtual time: loading too
            devtools.call("Emulation.setVirtualTimePolicy", {"policy": "advance"}, session,
                          doing)
            navigated = devtools.call("Page.navigate", {"url": page.as_uri()}, session, doing)
            assert "errorText" not in navigated, f"{page}: {navigated['errorText']}"
            loader = navigated["loaderId"]
            # the load of this navigation, not a late one of the tab's last page
            devtools.wait_event(session, "Page.lifecycleEvent", doing, lambda params: (
                params["name"] == "load" and params["loaderId"] == loader))
            devtools.call("Emulation.setVirtualTimePolicy", {
                "policy": "advance", "budget": 5000}, session, doing)
            devtools.wait_event(session, "Emulation.virtualTimeBudgetExpired", doing)
            yield devtools, session, loader
            kept = self._evaluate(devtools, session, STORAGE, doing)
            assert kept == 0, f"{page} keeps {kept} items in storage, the next page would see them"
        except DevToolsError:
            raise  # Chromium does not answer: closing the tab would only wait again
        except BaseException:
            self._tab_ids = None
            self._dispose(devtools, context, session, page)
            raise

    @staticmethod
    def _new_tab(devtools: DevTools, doing: str) -> tuple[str, str]:
        """A tab in a browser context of its own: (context id, session id)."""
        context = devtools.call("Target.createBrowserContext", doing=doing)["browserContextId"]
        target = devtools.call("Target.createTarget", {
            "url": "about:blank", "browserContextId": context}, doing=doing)["targetId"]
        session = devtools.call("Target.attachToTarget", {
            "targetId": target, "flatten": True}, doing=doing)["sessionId"]
        for domain in ("Page", "Runtime", "Log", "Network"):
            devtools.call(f"{domain}.enable", session=session, doing=doing)
        devtools.call("Page.setLifecycleEventsEnabled", {"enabled": True}, session, doing)
        return context, session

    @staticmethod
    def _dispose(devtools: DevTools, context: str, session: str, page: Path) -> None:
        """Close the tab's context (the tab with it) and forget its events."""
        devtools.call("Target.disposeBrowserContext", {"browserContextId": context},
                      doing=f"closing {page}")
        devtools.events.pop(session, None)
        devtools.events.pop("", None)  # the browser's own: attached/detached targets

    @staticmethod
    def _evaluate(devtools: DevTools, session: str, expression: str, doing: str) -> Any:
        answer = devtools.call("Runtime.evaluate", {
            "expression": expression, "returnByValue": True}, session, doing)
        assert "exceptionDetails" not in answer, f"{doing}: {answer['exceptionDetails']}"
        return answer["result"]["value"]

    def devtools(self) -> DevTools:
        """The protocol to Chromium, started on first use."""
        if self._devtools is None:
            self.workdir.mkdir(parents=True, exist_ok=True)
            self._devtools = DevTools(flags(self.workdir / "profile"),
                                      self.workdir / "chromium.log", TIMEOUT)
        return self._devtools

    def close(self) -> None:
        if self._devtools is not None:
            self._devtools.close()


def _console(event: Message) -> str:
    """One line for what the page told its console, or "" for other events."""
    params = event["params"]
    if event["method"] == "Runtime.consoleAPICalled":
        words = [str(arg.get("value", arg.get("description", arg.get("type"))))
                 for arg in params["args"]]
        return f"console.{params['type']}: {' '.join(words)}"
    if event["method"] == "Runtime.exceptionThrown":
        details = params["exceptionDetails"]
        thrown = details.get("exception", {}).get("description", "")
        return f"{details['text']} {thrown} at {details.get('url')}:{details['lineNumber']}"
    if event["method"] == "Log.entryAdded":
        entry = params["entry"]
        return f"log {entry['source']} {entry['level']}: {entry['text']} {entry.get('url', '')}"
    return ""


def assert_seen_cleanly(seen: Seen, page: Path) -> None:
    assert seen.console == [], seen.console
    assert seen.requests == [], seen.requests
    for width, height, shapes, kind in seen.charts:
        assert width > 50 and height > 10 and shapes > 0, (kind, width, height, shapes)
    assert not re.search(r"https?:|\bsrc=|\bhref=|url\(", page.read_text()), "a URL in the page"
