"""Benchmark: what the active plugin adds to a test plan's pytest process.

Two folders, each with one trivial test: a test plan (``hardpy.toml``, so the plugin
records the run into a fresh store) and the same folder without ``hardpy.toml`` (the
plugin loaded but inactive). Both run alternately in this script; prints the medians,
the difference and the ratio. The suite starts ~100 such processes and every stand run
pays it once. ``--instructions`` counts instructions instead (valgrind cachegrind, one
run each after a warm-up), the figure a busy machine does not move. Goal: <= 100 ms added.
"""

from __future__ import annotations

import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _timing import ENV, run_quietly, verdict

TEST = "def test_one():\n    assert 1 + 1 == 2\n"
PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:anyio"]


def instructions(folder: Path) -> int:
    """Instructions the pytest process executes (valgrind cachegrind, no cache model)."""
    out = folder / "cachegrind.out"
    result = subprocess.run(
        ["valgrind", "--tool=cachegrind", "--cache-sim=no", f"--cachegrind-out-file={out}",
         *PYTEST], cwd=folder, capture_output=True, text=True, env=ENV, check=False)
    found = re.search(r"I\s+refs:\s+([\d,]+)", result.stderr)
    if result.returncode != 0 or found is None:
        sys.exit(f"valgrind failed ({result.returncode}):\n{result.stderr[-2000:]}")
    out.unlink(missing_ok=True)
    return int(found.group(1).replace(",", ""))


def main() -> None:
    count = "--instructions" in sys.argv[1:]
    with tempfile.TemporaryDirectory() as tmp:
        plan, plain = Path(tmp, "plan"), Path(tmp, "plain")
        for folder in (plan, plain):
            folder.mkdir()
            (folder / "test_one.py").write_text(TEST)
        (plan / "hardpy.toml").write_text('title = "x"\n')
        for folder in (plan, plain):  # bytecode cached, store created: as a stand runs
            run_quietly(PYTEST, folder)
        if count:
            plan_count, plain_count = instructions(plan), instructions(plain)
            print(f"pytest in a test plan: {plan_count / 1e6:.0f} M instructions with "
                  f"hardpy.toml, {plain_count / 1e6:.0f} M without: "
                  f"{plan_count / plain_count:.3f}x")
            return
        samples: dict[Path, list[float]] = {plan: [], plain: []}
        for _ in range(15):
            for folder in (plan, plain):
                started = time.perf_counter()
                run_quietly(PYTEST, folder)
                samples[folder].append(time.perf_counter() - started)
    with_plan, without = statistics.median(samples[plan]), statistics.median(samples[plain])
    added = (with_plan - without) * 1000
    print(f"pytest in a test plan: {with_plan * 1000:.0f} ms with hardpy.toml, "
          f"{without * 1000:.0f} ms without ({with_plan / without:.2f}x); the plugin adds "
          f"{added:.0f} ms [goal <= 100 ms: {verdict(added, 100)}]")


if __name__ == "__main__":
    main()
