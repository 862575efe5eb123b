"""Faults a test injects into the simulator's answers, each counted down as it is used.

A delayed answer waits on an event rather than a plain sleep, so that stopping the
simulator ends it at once: a test whose client gave up long ago (a timeout, a killed
process) need not wait out the rest of the delay before the next test can begin.
"""

from __future__ import annotations

import asyncio
import contextlib
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
    _waiting: dict[asyncio.Event, tuple[asyncio.AbstractEventLoop, list[bool]]] = field(
        default_factory=dict, init=False, repr=False, compare=False)
    _lock: threading.Lock = field(
        default_factory=threading.Lock, init=False, repr=False, compare=False)

    async def wait_delay(self) -> bool:
        """Wait ``delay`` seconds; False when ``wake_delayed`` ended the wait first
        (the answer is not to be given), True when it ran out or was released."""
        if not self.delay:
            return True
        woken, answer = asyncio.Event(), [True]
        with self._lock:
            self._waiting[woken] = (asyncio.get_running_loop(), answer)
        try:
            await asyncio.wait_for(woken.wait(), self.delay)
        except asyncio.TimeoutError:
            return True
        finally:
            with self._lock:
                del self._waiting[woken]
        return answer[0]

    @property
    def delayed(self) -> int:
        """Answers waiting out ``delay`` now (tests wait for them to arrive)."""
        with self._lock:
            return len(self._waiting)

    def wake_delayed(self) -> None:
        """End every delay now, unanswered (from any thread): the simulator is stopping."""
        self._end_delays(answer=False)

    def release_delayed(self) -> None:
        """End every delay now as if it had run out (from any thread): the answers
        held so far go on together, at the moment a test chose."""
        self._end_delays(answer=True)

    def _end_delays(self, *, answer: bool) -> None:
        with self._lock:
            waiting = list(self._waiting.items())
        for woken, (loop, outcome) in waiting:
            outcome[0] = answer
            with contextlib.suppress(RuntimeError):  # its loop has closed: the wait is over
                loop.call_soon_threadsafe(woken.set)


class DropConnection(Response):
    """Start a response, then fail: the server closes the connection mid-answer."""

    def __init__(self, status_code: int = 201) -> None:
        super().__init__(status_code=status_code)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": self.status_code,
                    "headers": [(b"content-length", b"64")]})
        raise ConnectionAbortedError("simulated: answer lost after the report was stored")
