"""Benchmarks (a) and (d) of the core issue: the plugin's cost on a generated suite.

The same generated suite (every case builds one NumericMeasurement) runs twice per
size in this script, alternating: with the plugin recording into a fresh store, and
as plain pytest (plugin off, the measurement built but not recorded). Prints the best
and the median wall times and the ratio of the bests (issue 10's measure: best of 7,
goal <= 1.10x at 1000 cases; the best is the run the other load on the machine
disturbed least); for (d), the pace of the 10,000-case run at its start and at its
end, from the stop times in the store (goal: flat, i.e. a linear total).
``python bench/bench_suite.py 1000`` runs the 1000-case part only;
``python bench/bench_suite.py 1000 --instructions`` counts the instructions of one run of
each instead (valgrind cachegrind, after a warm-up run of each: the figure a busy
machine does not move; PYTHONHASHSEED fixed so that both hash alike).
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _timing import ENV, run_quietly, seconds, verdict

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


def time_suite(folder: Path, cases: int, repeat: int) -> tuple[list[float], list[float]]:
    """Wall times (plain, recorded), the two runs alternating so drift hits both."""
    (folder / "test_suite.py").write_text(SUITE.format(cases=cases))
    pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x"]
    plain, recorded = [], []
    for _ in range(repeat):
        plain.append(seconds(lambda: run_quietly([*pytest, "-p", "no:bridge"], folder)))
        shutil.rmtree(folder / ".bridge", ignore_errors=True)
        recorded.append(seconds(lambda: run_quietly(pytest, folder)))
    return plain, recorded


def instructions(folder: Path, cases: int) -> tuple[int, int]:
    """Instructions of one run each (plain, recorded into a fresh store), after a warm-up."""
    (folder / "test_suite.py").write_text(SUITE.format(cases=cases))
    pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x"]
    counts = []
    for extra in (["-p", "no:bridge"], []):
        run_quietly([*pytest, *extra], folder)  # bytecode and rewritten tests cached
        shutil.rmtree(folder / ".bridge", ignore_errors=True)
        result = subprocess.run(
            ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
             *pytest, *extra], cwd=folder, capture_output=True, text=True, check=False,
            env={**ENV, "PYTHONHASHSEED": "0"})
        found = re.search(r"I\s+refs:\s+([\d,]+)", result.stderr)
        if result.returncode != 0 or found is None:
            sys.exit(f"valgrind failed ({result.returncode}):\n{result.stderr[-2000:]}")
        counts.append(int(found.group(1).replace(",", "")))
    return counts[0], counts[1]


def case_pace(store: Path, first: int, last: int) -> tuple[float, float]:
    """Mean seconds per case over the run's first and last ``first``/``last`` cases,
    from the stop times the store recorded: the slope of the run, drift-free."""
    with sqlite3.connect(store) as conn:
        stops = [row[0] for row in conn.execute("SELECT stop_time FROM cases ORDER BY position")]
    return ((stops[first] - stops[0]) / first,
            (stops[-1] - stops[-1 - last]) / last)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "hardpy.toml").write_text('title = "bench"\n')
        (folder / "conftest.py").write_text(CONFTEST)
        if "--instructions" in sys.argv[1:]:
            plain_count, recorded_count = instructions(folder, 1000)
            ratio = recorded_count / plain_count
            print(f"  1000 cases, instructions: plain pytest {plain_count / 1e6:.0f} M, with "
                  f"plugin {recorded_count / 1e6:.0f} M, ratio {ratio:.3f}x, plugin cost "
                  f"{(recorded_count - plain_count) / 1e6:.0f} k per case (start-up included)  "
                  f"[(a) goal <= 1.10x: {verdict(ratio, 1.10)}]")
            return
        sizes = ((1000, 7), (10_000, 3))
        if sys.argv[1:] == ["1000"]:
            sizes = sizes[:1]
        for cases, repeat in sizes:
            plains, recordeds = time_suite(folder, cases, repeat)
            plain, recorded = min(plains), min(recordeds)
            ratio = recorded / plain
            print(
                f"{cases:>6} cases, best of {repeat}: plain pytest {plain:.2f} s, with plugin"
                f" {recorded:.2f} s, ratio {ratio:.3f}x, plugin cost"
                f" {(recorded - plain) / cases * 1e6:.0f} us/case (medians"
                f" {statistics.median(plains):.2f} / {statistics.median(recordeds):.2f} s)"
                + (f"  [(a) goal <= 1.10x: {verdict(ratio, 1.10)}]" if cases == 1000 else "")
            )
        if len(sizes) == 1:
            return
        early, late = case_pace(folder / ".bridge" / "runs.db", 1000, 1000)
        print(
            f"(d) in the 10,000-case run: {early * 1e6:.0f} us per case over the first 1000, "
            f"{late * 1e6:.0f} us over the last 1000: {late / early:.2f}x "
            "(flat is ~1.0: a linear total; HardPy's grows with the run)"
        )


if __name__ == "__main__":
    main()
