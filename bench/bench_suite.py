"""Benchmarks (a) and (d) of the core issue: the plugin's cost on a generated suite.

The same generated suite (every case builds one NumericMeasurement) runs twice per
size in this script: with the plugin recording into a fresh store, and as plain pytest
(plugin off, the measurement built but not recorded). Prints wall times, the ratio
(goal <= 1.15x at 1000 cases) and the plugin's added cost per case at 1000 and
10,000 cases (goal: flat, i.e. a linear total).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from _timing import median_seconds, run_quietly, verdict

CONFTEST = """
import bridge
from bridge import api

def record(measurement):
    if api.in_run():
        bridge.set_case_measurement(measurement)
"""
SUITE = """
import pytest
from bridge import NumericMeasurement
from conftest import record

@pytest.mark.parametrize("n", range({cases}))
def test_case(n):
    record(NumericMeasurement(value=n * 0.001, name="v", unit="V", operation="ge",
                              comparison_value=0))
"""


def time_suite(folder: Path, cases: int, repeat: int) -> tuple[float, float]:
    (folder / "test_suite.py").write_text(SUITE.format(cases=cases))
    pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x"]
    plain = median_seconds(lambda: run_quietly([*pytest, "-p", "no:bridge"], folder), repeat)

    def recorded() -> None:
        shutil.rmtree(folder / ".bridge", ignore_errors=True)
        run_quietly(pytest, folder)

    return plain, median_seconds(recorded, repeat)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "hardpy.toml").write_text('title = "bench"\n')
        (folder / "conftest.py").write_text(CONFTEST)
        per_case = {}
        for cases, repeat in ((1000, 5), (10_000, 3)):
            plain, recorded = time_suite(folder, cases, repeat)
            ratio = recorded / plain
            per_case[cases] = (recorded - plain) / cases * 1e6
            print(
                f"{cases:>6} cases: plain pytest {plain:.2f} s, with plugin {recorded:.2f} s,"
                f" ratio {ratio:.3f}x, plugin cost {per_case[cases]:.0f} us/case"
                + (f"  [(a) goal <= 1.15x: {verdict(ratio, 1.15)}]" if cases == 1000 else "")
            )
        growth = per_case[10_000] / per_case[1000] if per_case[1000] > 0 else float("nan")
        print(
            f"(d) cost per case at 10,000 vs 1,000 cases: {growth:.2f}x "
            f"(flat is ~1.0; quadratic would be ~10)"
        )


if __name__ == "__main__":
    main()
