"""Counts interleaved transactions on a shared instrument, across processes.

In ``--stand sim`` each pytest-xdist worker has its own simulated supply (the
simulator lives in the process), so the simulator alone cannot see two workers
talking to "the same" instrument. This checker can: around every transaction on a
shared instrument it takes a *non-blocking* ``flock`` on a probe file named after
the instrument. If the probe is already held, another process is inside a
transaction on that instrument at this very moment: an interleaving, counted in a
file every process appends to. With the stand's lock working the count stays 0;
without it, overlapping transactions are caught (tests show both).

What this proves: no two processes were inside a transaction on the same shared
instrument at the same time. It does not prove the commands inside one transaction
are right — protocol tests do that.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


class InterleaveChecker:
    """Begin/end observer for :class:`drivers.lock.SharedLock`."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.violations_path = self.path.with_suffix(".violations")
        self.transactions = 0
        self.violations = 0
        self._fd: int | None = None

    def begin(self) -> None:
        self.transactions += 1
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            self.violations += 1
            with open(self.violations_path, "a", encoding="ascii") as log:
                log.write(f"{os.getpid()}\n")
            return
        self._fd = fd

    def end(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def total_violations(self) -> int:
        """Violations seen by every process that used this probe file."""
        try:
            return len(self.violations_path.read_text(encoding="ascii").split())
        except FileNotFoundError:
            return 0
