"""Timing helpers shared by the benchmarks: medians of repeated runs, in one script."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path


def seconds(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def median_seconds(action: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


# Start-up is measured as a user meets it: with bytecode cached. A shell that sets
# PYTHONDONTWRITEBYTECODE would otherwise time the compiler on every run.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run_quietly(args: Sequence[str], cwd: Path | None = None) -> None:
    """Run a command; fail loudly (with its output) if it fails."""
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, env=ENV)
    if result.returncode not in (0,):
        sys.exit(
            f"benchmark command failed ({result.returncode}): {' '.join(args)}\n"
            f"{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
        )


def verdict(value: float, goal: float, *, higher_is_better: bool = False) -> str:
    met = value >= goal if higher_is_better else value <= goal
    return "meets goal" if met else "MISSES goal"
