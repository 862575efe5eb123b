"""Values as the terminal shows them: a local time, a duration, a status in its colour.

One definition each, for every command that prints them (``runs``, ``show``,
``sync --status``, ``sc-login --check``). Imports nothing heavy: rich only when a
status cell is made.
"""

from __future__ import annotations

import time
from typing import Any

from bridge.statuses import Status

STATUS_STYLE: dict[str, str] = {Status.PASSED: "green", Status.FAILED: "red", Status.ERROR: "red",
                                Status.SKIPPED: "yellow", Status.INTERRUPTED: "magenta",
                                Status.STOPPED: "magenta", Status.RUN: "cyan"}


def local_time(seconds: float | None) -> str:
    """Unix time as this machine's local time, to the second; ``-`` when unknown."""
    if seconds is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(seconds))


def duration(start: float | None, stop: float | None) -> str:
    """Seconds from ``start`` to ``stop``; empty while either is unknown (running)."""
    return "" if start is None or stop is None else f"{stop - start:.1f} s"


def status_cell(status: str | None) -> Any:
    """A run's or a case's status as a rich ``Text`` in its colour."""
    from bridge.cli.text import cell

    return cell(status, STATUS_STYLE.get(status or "", ""))
