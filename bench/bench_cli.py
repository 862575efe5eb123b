"""Benchmark (c) of the core issue: ``bridge --help`` process time (goal <= 0.15 s).

Printed next to ``python -c pass`` measured in the same script, the floor any Python
command pays.
"""

from __future__ import annotations

import sys
from pathlib import Path

from _timing import median_seconds, run_quietly, verdict


def main() -> None:
    # The venv's own: on Linux, iproute2 also installs a command called bridge.
    bridge = str(Path(sys.executable).parent / "bridge")
    floor = median_seconds(lambda: run_quietly([sys.executable, "-c", "pass"]), 15)
    help_time = median_seconds(lambda: run_quietly([bridge, "--help"]), 15)
    print(
        f"(c) bridge --help {help_time * 1000:.0f} ms (python -c pass "
        f"{floor * 1000:.0f} ms) [goal <= 150 ms: {verdict(help_time, 0.15)}]"
    )


if __name__ == "__main__":
    main()
