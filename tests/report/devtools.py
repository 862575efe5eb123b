"""One headless Chromium driven over the DevTools protocol on a pipe, no websocket.

``--remote-debugging-pipe`` makes Chromium read commands on fd 3 and write replies and
events on fd 4, each a JSON object ended by a NUL byte. Starting Chromium costs about a
second of CPU, so a test session starts one and opens every page in it.

Reading is done in the caller's thread with ``select`` and a deadline: every wait is
bounded, and a Chromium that does not answer is an error naming the method and what it
was doing, never a hang.
"""

from __future__ import annotations

import fcntl
import json
import os
import select
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

Message = dict[str, Any]


class DevToolsError(AssertionError):
    """Chromium refused a command, stopped answering or exited (an AssertionError: pytest
    shows its message, not the protocol client's traceback, as the reason)."""


def _high_fd(fd: int) -> int:
    """A copy of ``fd`` numbered 10 or more, so moving the pipe ends to 3 and 4 in the
    child cannot overwrite one with the other."""
    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return high


class DevTools:
    """A Chromium process and its pipe; ``call`` sends a command and waits for its reply,
    keeping the events that arrive meanwhile in ``events`` by session."""

    def __init__(self, command: list[str], log: Path, timeout: float) -> None:
        to_chromium_read, to_chromium = map(_high_fd, os.pipe())
        from_chromium, from_chromium_write = map(_high_fd, os.pipe())
        # Chromium reads fd 3 and writes fd 4; bash moves our pipe ends there before it
        # becomes Chromium (exec). A preexec_fn would do it too, but is unsafe in a
        # process with threads (an xdist worker has some).
        move = f'exec "$@" 3<&{to_chromium_read} 4>&{from_chromium_write}'
        self.log = log
        self.timeout = timeout
        with log.open("wb") as stderr:
            self.process = subprocess.Popen(
                ["bash", "-c", move, "chromium", *command, "--remote-debugging-pipe"],
                stdin=subprocess.DEVNULL, stdout=stderr, stderr=stderr,
                pass_fds=(to_chromium_read, from_chromium_write))
        os.close(to_chromium_read)
        os.close(from_chromium_write)
        self._out = to_chromium
        self._in = from_chromium
        self._buffer = b""
        self._next_id = 0
        self.events: dict[str, list[Message]] = {}

    def call(self, method: str, params: dict[str, Any] | None = None, session: str = "",
             doing: str = "") -> dict[str, Any]:
        """Send ``method`` and return its result; ``doing`` names the page in errors."""
        self._next_id += 1
        command: Message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            command["sessionId"] = session
        self._send(command, method, doing)
        sent = self._next_id
        reply = self.wait(lambda message: message.get("id") == sent, method, doing)
        if "error" in reply:
            raise DevToolsError(f"Chromium refused {method} {doing}: {reply['error']}")
        result: dict[str, Any] = reply["result"]
        return result

    def wait_event(self, session: str, method: str, doing: str = "",
                   where: Callable[[dict[str, Any]], bool] = lambda params: True) -> Message:
        """The first ``method`` event of ``session`` whose params satisfy ``where``
        (events kept so far included)."""
        def found() -> Message | None:
            return next((event for event in self.events.get(session, [])
                         if event["method"] == method and where(event["params"])), None)
        event = found()
        if event is None:
            self.wait(lambda _: found() is not None, method, doing)
            event = found()
        assert event is not None
        return event

    def wait(self, done: Callable[[Message], bool], method: str, doing: str) -> Message:
        """Read messages until ``done`` holds for one; events are kept on the way."""
        deadline = time.monotonic() + self.timeout
        while True:
            while b"\0" in self._buffer:
                raw, self._buffer = self._buffer.split(b"\0", 1)
                message: Message = json.loads(raw)
                if "method" in message:
                    self.events.setdefault(message.get("sessionId", ""), []).append(message)
                if done(message):
                    return message
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._in], [], [], left)[0]:
                raise DevToolsError(
                    f"Chromium did not answer {method} {doing} within {self.timeout:g} s"
                    + self._log_tail())
            chunk = os.read(self._in, 1 << 16)
            if not chunk:
                self.process.wait(self.timeout)
                raise DevToolsError(
                    f"Chromium exited ({self.process.returncode}) waiting for {method} "
                    f"{doing}" + self._log_tail())
            self._buffer += chunk

    def _send(self, command: Message, method: str, doing: str) -> None:
        data = json.dumps(command).encode() + b"\0"
        try:
            while data:
                data = data[os.write(self._out, data):]
        except BrokenPipeError:
            raise DevToolsError(f"Chromium exited before {method} {doing}"
                                + self._log_tail()) from None

    def _log_tail(self) -> str:
        """The end of Chromium's stderr, without its complaints that there is no D-Bus."""
        lines = [line for line in self.log.read_text(errors="replace").splitlines()
                 if "dbus/" not in line]
        return "\nChromium's log ends:\n" + "\n".join(lines)[-3000:]

    def close(self) -> None:
        """Ask Chromium to quit and read what it still writes until it closes its end
        (a full pipe would hold it up); kill it if it has not quit within the timeout."""
        if self.process.poll() is not None:  # it died: the page that saw it failed
            os.close(self._out)
            os.close(self._in)
            return
        try:
            self._send({"id": 0, "method": "Browser.close"}, "Browser.close",
                       "at the end of the session")
            deadline = time.monotonic() + self.timeout
            while (left := deadline - time.monotonic()) > 0 and select.select(
                    [self._in], [], [], left)[0] and os.read(self._in, 1 << 16):
                pass
            self.process.wait(max(deadline - time.monotonic(), 1))
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait(self.timeout)
            os.close(self._out)
            os.close(self._in)
