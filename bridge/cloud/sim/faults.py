"""Faults a test injects into the simulator's answers, each counted down as it is used.

A delayed answer waits on an event rather than a plain sleep, so that stopping the
simulator ends it at once: a test whose client gave up long ago (a timeout, a killed
process) need not wait out the rest of the delay before the next test can begin.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import Response


@dataclass
class Faults:
    """Counters of faults still to inject; tests set them, the server uses them up."""

    report_500: int = 0  # answer 500 before storing
    report_429: int = 0  # answer 429 (Retry-After: 0) before storing
    drop_after_store: int = 0  # store the report, then drop the connection unanswered
    malformed: int = 0  # answer 200 with a broken JSON body, store nothing
    delay: float = 0.0  # every stand-API answer waits this long first
    shutdown_after: int | None = None  # stop serving after this many stored reports
    _waiting: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = field(
        default_factory=set, init=False, repr=False, compare=False)
    _lock: threading.Lock = field(
        default_factory=threading.Lock, init=False, repr=False, compare=False)

    async def wait_delay(self) -> bool:
        """Wait ``delay`` seconds; False when ``wake_delayed`` ended the wait first."""
        if not self.delay:
            return True
        entry = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            self._waiting.add(entry)
        try:
            await asyncio.wait_for(entry[1].wait(), self.delay)
        except asyncio.TimeoutError:
            return True
        finally:
            with self._lock:
                self._waiting.discard(entry)
        return False

    def wake_delayed(self) -> None:
        """End every delay now (from any thread): the simulator is stopping."""
        with self._lock:
            waiting = list(self._waiting)
        for loop, event in waiting:
            if not loop.is_closed():
                loop.call_soon_threadsafe(event.set)


class DropConnection(Response):
    """Start a response, then fail: the server closes the connection mid-answer."""

    def __init__(self, status_code: int = 201) -> None:
        super().__init__(status_code=status_code)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": self.status_code,
                    "headers": [(b"content-length", b"64")]})
        raise ConnectionAbortedError("simulated: answer lost after the report was stored")
