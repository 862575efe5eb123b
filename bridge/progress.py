"""A driver's long operations (firmware programming) shown live on pytest's terminal.

Only when the terminal is one a person watches (a tty): in CI logs and piped output a
line per frame would be noise. pytest captures the test's output, so each update is
written with capturing suspended, as pytest's own live logging does; updates come at
most a few times a second, and always at 100 %.
"""

from __future__ import annotations

import time
from typing import Any

#: Seconds between two redraws of the progress line.
REDRAW_EVERY = 0.2


class TerminalProgress:
    """Redraws one line (``\\r``) on the terminal; ends it when the work is done."""

    def __init__(self, config: Any, label: str):
        self.reporter = config.pluginmanager.getplugin("terminalreporter")
        self.capman = config.pluginmanager.getplugin("capturemanager")
        self.label = label
        self._last = float("-inf")

    @classmethod
    def for_terminal(cls, config: Any, label: str) -> TerminalProgress | None:
        """A reporter when pytest writes to a tty, else None."""
        reporter = config.pluginmanager.getplugin("terminalreporter")
        if reporter is None or not getattr(reporter, "isatty", False):
            return None
        return cls(config, label)

    def __call__(self, progress: Any) -> None:
        done = progress.sent >= progress.size and progress.chunk >= progress.chunks
        now = time.monotonic()
        if not done and now - self._last < REDRAW_EVERY:
            return
        first, self._last = self._last == float("-inf"), now
        text = f"\r{self.label}: {progress.line()}" + ("\n" if done else "")
        if self.capman is None:
            self._write(text, first)
            return
        with self.capman.global_and_fixture_disabled():
            self._write(text, first)

    def _write(self, text: str, first: bool) -> None:
        if first:
            self.reporter.ensure_newline()  # not over pytest's "test_file.py " line
        self.reporter.write(text, flush=True)
