"""A lock that serialises transactions on an instrument shared by several processes.

Under pytest-xdist each worker drives its own DUT slot, but the supply and the DMM
are shared: two workers must never interleave commands on one of them (a query
from one would read the other's reply). :class:`SharedLock` is an OS file lock on a
lock file (one per instrument, beside the run store) plus a thread lock, and is
re-entrant, so a driver may hold it around a command *and* its error check.

The file lock is portalocker's, so that it works on Windows stand PCs too. It waits
in the kernel (``flock`` on POSIX, ``LockFileEx`` on Windows): a waiting slot gets
the instrument the moment the other lets go, with no polling interval in between
(``bench/bench_lock.py`` measures it against ``flock`` and filelock).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol


class TransactionLock(Protocol):
    """What a driver holds around a transaction: ``threading.RLock()`` or SharedLock.

    Both ways of holding it count: ``with lock`` reads best; ``acquire``/``release``
    costs half as much, for the path every command takes.
    """

    def acquire(self) -> bool: ...
    def release(self) -> None: ...
    def __enter__(self) -> Any: ...
    def __exit__(self, *exc: Any) -> Any: ...


class TransactionObserver(Protocol):
    def begin(self) -> None: ...
    def end(self) -> None: ...


def _file_lock_functions() -> tuple[Callable[[int], None], Callable[[int], None]]:
    """(lock, unlock) of an open file descriptor, both blocking in the kernel, on every platform.

    Imported on first use: portalocker imports fcntl or pywin32 by platform.
    """
    import portalocker

    exclusive = portalocker.LockFlags.EXCLUSIVE
    if os.name == "nt":
        # portalocker's default on Windows is msvcrt.locking, whose blocking mode
        # retries once a second (ten times, then fails); LockFileEx really waits.
        try:
            from portalocker.portalocker import Win32Locker

            locker = Win32Locker()
            return (lambda fd: locker.lock(fd, exclusive)), locker.unlock
        except ImportError:  # pywin32 missing (installed without the extra)
            pass
    return (lambda fd: portalocker.lock(fd, exclusive)), portalocker.unlock


class SharedLock:
    """Cross-process, re-entrant; ``observer`` sees each outermost transaction."""

    def __init__(self, path: Path | str, observer: TransactionObserver | None = None):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.observer = observer
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._fd: int | None = None
        self._lock_file, self._unlock_file = _file_lock_functions()

    def acquire(self) -> bool:
        self._thread_lock.acquire()
        self._depth += 1
        if self._depth == 1:
            try:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
                self._lock_file(self._fd)
                if self.observer is not None:
                    self.observer.begin()
            except BaseException:
                self._release()
                raise
        return True

    def release(self) -> None:
        if self._depth == 1:
            try:
                if self.observer is not None:
                    self.observer.end()
            finally:
                self._release()
        else:
            self._depth -= 1
            self._thread_lock.release()

    def __enter__(self) -> SharedLock:
        self.acquire()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()

    def _release(self) -> None:
        if self._fd is not None:
            try:
                self._unlock_file(self._fd)
            finally:
                os.close(self._fd)
                self._fd = None
        self._depth -= 1
        self._thread_lock.release()
