"""SIGTERM as Ctrl-C while a run is recorded.

A stand's supervisor (systemd, a CI runner, ``kill``) stops pytest with SIGTERM, whose
default ends the process at once: the running case would be lost and the run left for
the next start to settle. Raised as KeyboardInterrupt instead, it takes pytest's
Ctrl-C path, and the running case and the run are stored as ``stopped``.
"""

from __future__ import annotations

import signal
import threading
from typing import Any


def sigterm_as_interrupt() -> Any:
    """SIGTERM (a stand's supervisor, ``kill``) stops the run as Ctrl-C does, so the
    running case is stored as stopped; returns the handler to restore."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signal.Signals(signum).name}")

    return signal.signal(signal.SIGTERM, interrupt)


def restore_sigterm(previous: Any) -> None:
    if previous is not None:
        signal.signal(signal.SIGTERM, previous)
