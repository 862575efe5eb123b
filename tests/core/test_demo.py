"""`make demo` works: the simulated stand end to end, uploaded to the StandCloud simulator."""

import os
import subprocess
import sys
from pathlib import Path

DEMO = Path(__file__).resolve().parents[2] / "hil" / "demo.py"


def test_demo_runs_hil_stores_the_run_and_uploads_it(tmp_path):
    result = subprocess.run([sys.executable, str(DEMO)], capture_output=True, text=True,
                            timeout=120, env={**os.environ, "BRIDGE_DEMO_DIR": str(tmp_path),
                                              "COLUMNS": "160"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "7 passed" in result.stdout
    assert "StandCloud: 1 uploaded" in result.stdout
    shown, cloud = result.stdout.split("== the stored run")[1].split("== what StandCloud holds")
    assert "rail 3V3" in shown and "SB-100" in shown
    assert "StandCloud runs (1)" in cloud and "PASS" in cloud
    assert (tmp_path / "runs.db").exists()
