"""Cross-process file locks for shared instruments: candidates against raw ``flock``.

A slot's command on a shared supply waits for the other slot's transaction; what it
must not wait for is a polling interval on top. Two figures per candidate, each a
ratio against ``fcntl.flock`` measured in the same script:

(a) uncontended lock + unlock (the cost every shared command pays);
(b) hand-over: process A holds the lock, B is blocked in ``acquire``; the time from
    A's release to B's return (``perf_counter`` is one system-wide monotonic clock).

Candidates: portalocker (kernel-blocking lock: ``flock`` on POSIX, ``LockFileEx`` on
Windows with pywin32), filelock (non-blocking try + sleep ``poll_interval``), and our
``drivers.lock.SharedLock`` (portalocker plus a thread lock, re-entrant).
POSIX only (the baseline is ``fcntl``).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

HANDOVERS = 40  # each filelock hand-over may sleep up to its poll interval (50 ms)
HOLD_S = 0.002  # A holds the lock this long after B started waiting


def make_lock(kind: str, path: str) -> tuple[Callable[[], object], Callable[[], object]]:
    """(acquire, release) of one candidate on the lock file ``path``."""
    if kind == "flock":
        import fcntl

        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        return (lambda: fcntl.flock(fd, fcntl.LOCK_EX)), (lambda: fcntl.flock(fd, fcntl.LOCK_UN))
    if kind == "portalocker":
        import portalocker

        handle = open(path, "a+b")  # noqa: SIM115 - held for the benchmark's life
        flags = portalocker.LockFlags.EXCLUSIVE
        return (lambda: portalocker.lock(handle, flags)), (lambda: portalocker.unlock(handle))
    if kind == "filelock":
        import filelock

        lock = filelock.FileLock(path)
        return lock.acquire, lock.release
    if kind == "SharedLock":
        from drivers.lock import SharedLock

        shared = SharedLock(path)
        return shared.acquire, shared.release
    raise ValueError(kind)


KINDS = ("flock", "portalocker", "filelock", "SharedLock")


def uncontended(kind: str, path: str, n: int = 20000) -> float:
    acquire, release = make_lock(kind, path)
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(n):
            acquire()
            release()
        best = min(best, (time.perf_counter() - start) / n)
    return best


def _waiter(kind: str, path: str, conn: mp.connection.Connection) -> None:
    acquire, release = make_lock(kind, path)
    for _ in range(HANDOVERS):
        conn.recv()  # the holder has the lock
        conn.send("waiting")
        acquire()
        got = time.perf_counter()
        release()
        conn.send(got)


def handover(kind: str, path: str) -> list[float]:
    """Seconds from the holder's release to the waiter's return, per hand-over."""
    acquire, release = make_lock(kind, path)
    ours, theirs = mp.Pipe()
    waiter = mp.Process(target=_waiter, args=(kind, path, theirs))
    waiter.start()
    delays = []
    try:
        for _ in range(HANDOVERS):
            acquire()
            ours.send("held")
            ours.recv()  # the waiter is about to block
            time.sleep(HOLD_S)  # ... and now it is
            released = time.perf_counter()
            release()
            delays.append(ours.recv() - released)
    finally:
        waiter.join(60)
    return delays


def main() -> None:
    folder = tempfile.mkdtemp(prefix="bench-lock-")
    costs = {kind: uncontended(kind, os.path.join(folder, f"{kind}.u")) for kind in KINDS}
    waits = {kind: handover(kind, os.path.join(folder, f"{kind}.h")) for kind in KINDS}
    base_cost = costs["flock"]
    base_wait = statistics.median(waits["flock"])
    print(f"(a) uncontended lock+unlock; (b) hand-over to a blocked process "
          f"({HANDOVERS} times), ratios against fcntl.flock")
    for kind in KINDS:
        median, worst = statistics.median(waits[kind]), max(waits[kind])
        print(f"  {kind:<12} (a) {costs[kind] * 1e6:7.2f} µs  {costs[kind] / base_cost:6.2f}x"
              f"   (b) median {median * 1e6:9.1f} µs  {median / base_wait:8.1f}x"
              f"  worst {worst * 1e6:9.1f} µs")
    verdict = statistics.median(waits["SharedLock"]) / base_wait
    print(f"summary: SharedLock hand-over {verdict:.1f}x flock "
          f"(goal: no polling interval, i.e. well under 1 ms: "
          f"{'ok' if statistics.median(waits['SharedLock']) < 1e-3 else 'MISSED'})")


if __name__ == "__main__":
    main()
