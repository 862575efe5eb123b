"""`make demo` ends with both pages of the demo run written, their paths printed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from report_browser import assert_seen_cleanly, open_page

DEMO = Path(__file__).resolve().parents[2] / "hil" / "demo.py"


def test_demo_writes_the_run_page_and_the_production_page(tmp_path):
    result = subprocess.run([sys.executable, str(DEMO)], capture_output=True, text=True,
                            timeout=180, env={**os.environ, "BRIDGE_DEMO_DIR": str(tmp_path),
                                              "COLUMNS": "160"})
    assert result.returncode == 0, result.stdout + result.stderr
    printed = result.stdout.split("== the pages")[1].split()
    run_page = tmp_path / "run-report.html"
    production_page = tmp_path / "production-SB-100.html"
    assert str(run_page) in printed and str(production_page) in printed
    seen = open_page(run_page, tmp_path / "run")
    assert_seen_cleanly(seen, run_page)
    assert "PASS" in seen.dom and "rail 3V3" in seen.dom  # the hil plan draws no chart
    seen = open_page(production_page, tmp_path / "production")
    assert_seen_cleanly(seen, production_page)
    assert "First-pass yield 100.0 %" in seen.dom
    assert [kind for *_, kind in seen.charts].count("histogram") == 7  # one per numeric measurement
