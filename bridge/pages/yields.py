"""First-pass and final yield from a list of runs, per serial number.

First-pass yield (FPY): the share of units whose first test passed; final yield: the
share whose last test passed, after retests. Per stand and per day a unit belongs to
the stand and day of its first run (a cohort), so both yields of a row count the same
units. Runs without a serial number count as units of their own.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Protocol

from bridge.statuses import Status


class Run(Protocol):
    run_id: str
    serial: str | None
    stand: str | None
    status: str
    start: float


@dataclass
class Yield:
    units: int = 0
    first_passed: int = 0
    finally_passed: int = 0

    @property
    def first_pass(self) -> float | None:
        return self.first_passed / self.units if self.units else None

    @property
    def final(self) -> float | None:
        return self.finally_passed / self.units if self.units else None


@dataclass
class Yields:
    overall: Yield
    by_stand: dict[str, Yield]
    by_day: dict[str, Yield]
    runs_per_unit: Counter[int]          # number of runs → units tested that many times
    most_retested: list[tuple[str, int]]  # serial, runs


def day_of(seconds: float) -> str:
    """The local day; a quarter of an hour lies within one day in every time zone (their
    offsets and clock changes fall on quarter hours), so 100,000 runs cost ~3,000 calls."""
    return day_of_quarter(int(seconds // 900))


@lru_cache(maxsize=4096)
def day_of_quarter(quarter: int) -> str:
    """The local day of the quarter hour ``quarter`` (seconds // 900)."""
    return datetime.fromtimestamp(quarter * 900).strftime("%Y-%m-%d")


def yields(runs: Sequence[Run], *, day: Callable[[float], str] = day_of) -> Yields:
    """``runs`` in time order."""
    by_unit: dict[str, list[Run]] = defaultdict(list)
    for run in runs:
        by_unit[run.serial if run.serial else f"run:{run.run_id}"].append(run)
    overall = Yield()
    by_stand: defaultdict[str, Yield] = defaultdict(Yield)
    by_day: defaultdict[str, Yield] = defaultdict(Yield)
    for unit_runs in by_unit.values():
        first, last = unit_runs[0], unit_runs[-1]
        overall.units += 1
        overall.first_passed += first.status == Status.PASSED
        overall.finally_passed += last.status == Status.PASSED
        for entry in (by_stand[first.stand or "—"], by_day[day(first.start)]):
            entry.units += 1
            entry.first_passed += first.status == Status.PASSED
            entry.finally_passed += last.status == Status.PASSED
    retested = sorted(((s, len(r)) for s, r in by_unit.items()
                       if len(r) > 1 and not s.startswith("run:")), key=lambda x: (-x[1], x[0]))
    return Yields(overall, dict(sorted(by_stand.items())), dict(sorted(by_day.items())),
                  Counter(len(r) for r in by_unit.values()), retested[:20])
