"""`make demo` works: the simulated stand end to end, uploaded to the StandCloud simulator,
and it ends with both pages of the demo run written, their paths printed.

The demo runs once for the test run (~3 s); each test looks at one part of what it did.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from plan_support import Plan, own_python
from report_browser import Browser, assert_seen_cleanly

DEMO = Path(__file__).resolve().parents[2] / "hil" / "demo.py"


@pytest.fixture(scope="module")
def demo(built_once) -> tuple[Path, str]:
    """The demo's folder and what it printed (one demo for the run's workers)."""

    def run_demo(folder: Path) -> None:
        # `python hil/demo.py`, forked from this venv's warm python; Plan.env: not this
        # worker's xdist id, which would pick the demo plan's DUT slot
        result = own_python().run([str(DEMO)], cwd=folder, timeout=180,
                                  env={**Plan.env(), "BRIDGE_DEMO_DIR": str(folder)})
        assert result.returncode == 0, result.stdout + result.stderr
        (folder / "printed.txt").write_text(result.stdout, encoding="utf-8")

    folder = built_once("demo", run_demo)
    return folder, (folder / "printed.txt").read_text(encoding="utf-8")


def test_demo_runs_hil_stores_the_run_and_uploads_it(demo):
    folder, printed = demo
    assert "7 passed" in printed
    assert "StandCloud: 1 uploaded" in printed
    shown, cloud = printed.split("== the stored run")[1].split("== what StandCloud holds")
    assert "rail 3V3" in shown and "SB-100" in shown
    assert "StandCloud runs (1)" in cloud and "PASS" in cloud
    assert (folder / "runs.db").exists()


def test_demo_writes_the_run_page_and_the_production_page(demo, browser: Browser):
    folder, printed = demo
    paths = printed.split("== the pages")[1].split()
    run_page = folder / "run-report.html"
    production_page = folder / "production-SB-100.html"
    assert str(run_page) in paths and str(production_page) in paths
    seen = browser.open(run_page)
    assert_seen_cleanly(seen, run_page)
    assert "PASS" in seen.dom and "rail 3V3" in seen.dom  # the hil plan draws no chart
    seen = browser.open(production_page)
    assert_seen_cleanly(seen, production_page)
    assert "First-pass yield 100.0 %" in seen.dom
    assert [kind for *_, kind in seen.charts].count("histogram") == 7  # one per numeric measurement
