"""Counts interleaved transactions on a shared instrument, across processes.

In ``--stand sim`` each pytest-xdist worker has its own simulated supply (the
simulator lives in the process), so the simulator alone cannot see two workers
talking to "the same" instrument. Two checks together can:

1. around every transaction on a shared instrument, this checker takes a
   *non-blocking* file lock (portalocker's, so Windows too) on a probe file named
   after the instrument. If the probe is already held, another process is inside a
   transaction on that instrument at this very moment: an overlap, counted in a
   file every process appends to;
2. the simulated instrument reports every command it receives
   (:meth:`note_command`); one that arrives outside a transaction (a driver path
   that bypassed the lock) is counted too.

With the stand's lock working both counts stay 0; tests show each count catches
what it is meant to. What this proves: every command reached the simulated shared
instrument inside a transaction, and no two processes were inside a transaction on
it at once. It says nothing about whether the commands were the right ones —
protocol tests do that.
"""

from __future__ import annotations

import os
from pathlib import Path


class InterleaveChecker:
    """Begin/end observer for :class:`drivers.lock.SharedLock`, and command witness."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.violations_path = self.path.with_suffix(".violations")
        self.transactions = 0
        self.violations = 0  # overlapping transactions seen by this process
        self.unguarded = 0  # commands the simulator received outside a transaction
        self.commands = 0
        self.inside = False
        self._fd: int | None = None

    def begin(self) -> None:
        self.transactions += 1
        self.inside = True
        import portalocker  # here, not at import: it imports fcntl or pywin32

        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            flags = portalocker.LockFlags.EXCLUSIVE | portalocker.LockFlags.NON_BLOCKING
            portalocker.lock(fd, flags)
        except portalocker.AlreadyLocked:
            os.close(fd)
            self.violations += 1
            self._log("overlap")
            return
        self._fd = fd

    def end(self) -> None:
        self.inside = False
        if self._fd is not None:
            import portalocker

            portalocker.unlock(self._fd)
            os.close(self._fd)
            self._fd = None

    def note_command(self, command: bytes) -> None:
        """Called by the simulated instrument for every command it receives."""
        self.commands += 1
        if not self.inside:
            self.unguarded += 1
            self._log(f"unguarded {command!r}")

    def _log(self, what: str) -> None:
        with open(self.violations_path, "a", encoding="ascii") as log:
            log.write(f"{os.getpid()} {what}\n")

    def total_violations(self) -> int:
        """Violations of both kinds seen by every process that used this probe file."""
        try:
            return len(self.violations_path.read_text(encoding="ascii").splitlines())
        except FileNotFoundError:
            return 0
