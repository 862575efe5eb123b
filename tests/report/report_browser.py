"""What a person sees: a page opened in Debian's headless Chromium, with no network.

The test copies the page and appends a probe script that measures every chart after
layout and writes the sizes into the DOM, which ``--dump-dom`` then returns. Console
messages come from Chromium's log on stderr; every request the page made is in the
net log, which must hold none.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

PROBE = """<script>addEventListener('load', () => {
  const sizes = [...document.querySelectorAll('svg.chart')].map(s => {
    const box = s.getBoundingClientRect();
    return [Math.round(box.width), Math.round(box.height), s.querySelectorAll(
      'polyline,rect,circle,line').length, s.dataset.kind];
  });
  const out = document.createElement('pre');
  out.id = 'probe'; out.textContent = JSON.stringify(sizes);
  document.body.appendChild(out);
});</script>"""


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
    console: list[str]
    requests: list[str]


def open_page(page: Path, workdir: Path, script: str = "") -> Seen:
    """``script``: more probing, run before the chart probe."""
    workdir.mkdir(parents=True, exist_ok=True)
    probed = workdir / "probed.html"
    extra = f"<script>{script}</script>" if script else ""
    probed.write_text(page.read_text(encoding="utf-8").replace("</body>",
                                                                extra + PROBE + "</body>"),
                      encoding="utf-8")
    net_log = workdir / "net.json"
    result = subprocess.run(
        [*flags(workdir / "profile"), "--enable-logging=stderr", "--v=0",
         f"--log-net-log={net_log}", "--virtual-time-budget=5000", "--dump-dom",
         probed.as_uri()], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    probe = re.search(r'<pre id="probe">(.*?)</pre>', result.stdout, re.S)
    assert probe, "the probe did not run: " + result.stdout[-500:]
    console = [line for line in result.stderr.splitlines() if "CONSOLE" in line]
    return Seen(result.stdout, json.loads(probe[1]), console, _urls(net_log))


def _urls(net_log: Path) -> list[str]:
    """URLs the page asked for: requests with an initiator. Chromium's own background
    traffic (time, updates) is logged as initiated by "not an origin" and left out.
    A log cut short at exit lacks its closing brackets."""
    text = net_log.read_text(encoding="utf-8").strip()
    try:
        log = json.loads(text)
    except ValueError:
        log = json.loads(text.rstrip(",") + "]}")
    return sorted({e["params"]["url"] for e in log.get("events", [])
                   if isinstance(e.get("params"), dict) and "url" in e["params"]
                   and e["params"].get("initiator", "not an origin") != "not an origin"})


def screenshot(page: Path, target: Path, workdir: Path, height: int = 2400) -> None:
    subprocess.run([*flags(workdir / "shot-profile"), f"--screenshot={target}",
                    f"--window-size=1040,{height}", "--hide-scrollbars", page.as_uri()],
                   capture_output=True, text=True, timeout=120, check=True)
    assert target.stat().st_size > 10_000


def assert_seen_cleanly(seen: Seen, page: Path) -> None:
    assert seen.console == [], seen.console
    assert seen.requests == [], seen.requests
    for width, height, shapes, kind in seen.charts:
        assert width > 50 and height > 10 and shapes > 0, (kind, width, height, shapes)
    assert not re.search(r"https?:|\bsrc=|\bhref=|url\(", page.read_text()), "a URL in the page"
