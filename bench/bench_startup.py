"""Benchmark (e) of the core issue: pytest start-up in an unrelated project.

The same small project (no hardpy.toml) is collected with our plugin loaded but
inactive, and with it blocked (``-p no:bridge``, as if not installed), alternately,
in this script. Goal: <= 30 ms added.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from _timing import run_quietly, verdict


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "test_unrelated.py").write_text("def test_one():\n    assert 1 + 1 == 2\n")
        base = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        samples: dict[str, list[float]] = {"with": [], "without": []}
        for _ in range(15):
            for label, extra in (("with", []), ("without", ["-p", "no:bridge"])):
                started = time.perf_counter()
                run_quietly([*base, *extra], folder)
                samples[label].append(time.perf_counter() - started)
    with_plugin = statistics.median(samples["with"])
    without = statistics.median(samples["without"])
    added = (with_plugin - without) * 1000
    print(
        f"(e) pytest in an unrelated project: {with_plugin * 1000:.0f} ms with stand-bridge "
        f"installed, {without * 1000:.0f} ms without; added {added:.1f} ms "
        f"[goal <= 30 ms: {verdict(added, 30)}]"
    )


if __name__ == "__main__":
    main()
