"""The terminal an operator dialog talks through: pytest's capture released, a rich
panel drawn, answers read line by line with bounded re-asks.

:mod:`bridge.operator` decides what to show and how an answer parses; this module
owns stdin and stdout. Rich is imported only when a dialog is drawn.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

from bridge.errors import OperatorError

if TYPE_CHECKING:
    import pytest

    from bridge.dialog_models import HTMLComponent, ImageComponent, ImageWidget

T = TypeVar("T")

DEFAULT_TITLE = "Operator"
MAX_INVALID_ANSWERS = 5  # a broken answer script fails the case instead of hanging the run

_capman: Any = None  # pytest's CaptureManager of the running session, set by attach()


def attach(config: pytest.Config) -> None:
    """Let dialogs release pytest's capturing of this session (the plugin calls this
    at pytest_configure); undone when the session ends."""
    global _capman
    previous = _capman
    _capman = config.pluginmanager.getplugin("capturemanager")

    def detach() -> None:
        global _capman
        _capman = previous

    config.add_cleanup(detach)


@contextlib.contextmanager
def terminal(title: str | None, text: str) -> Iterator[Terminal]:
    """The real stdin and stdout, with pytest's capturing released meanwhile."""
    capman = _capman
    if capman is None:
        yield Terminal(sys.stdin, sys.stdout, title, text)
        return
    with capman.global_and_fixture_disabled():
        capman.suspend_global_capture(in_=True)  # stdin too; resumed with out and err
        term = Terminal(sys.stdin, sys.stdout, title, text)
        try:
            yield term
        finally:
            term.flush()


class Terminal:
    """Draws with rich, reads answers line by line, bounded re-asks."""

    def __init__(self, stdin: TextIO, stdout: TextIO, title: str | None, text: str):
        from rich.console import Console

        self.stdin = stdin
        self.stdout = stdout
        first_line = text.strip().splitlines()[0] if text.strip() else ""
        if len(first_line) > 60:
            first_line = first_line[:57] + "..."
        self.dialog = f'"{title or DEFAULT_TITLE}"' + (f' ("{first_line}")' if first_line else "")
        self.console = Console(file=stdout, highlight=False, emoji=False, markup=False)
        self.echo = not _isatty(stdin)  # piped answers are not echoed by a terminal
        self.console.print()  # off pytest's progress line

    def panel(self, title: str, text: str,
              *shown: ImageComponent | ImageWidget | HTMLComponent | None) -> None:
        """The text in a box; images and HTML named (a terminal cannot show them)."""
        from rich.console import Group
        from rich.panel import Panel
        from rich.text import Text

        from bridge.dialog_models import HTMLComponent

        lines: list[Text] = [Text(text)] if text else []
        for item in shown:
            if isinstance(item, HTMLComponent):
                what = (f"raw HTML, {len(item.code_or_url)} characters" if item.is_raw_html
                        else item.code_or_url)
                lines.append(Text(f"html: {what}", style="italic"))
            elif item is not None:
                lines.append(Text(f"image: {item.address}", style="italic"))
        self.console.print(Panel(Group(*lines), title=Text(title, style="bold"),
                                 title_align="left", expand=False))

    def choices(self, fields: list[str]) -> None:
        for number, name in enumerate(fields, 1):
            self.console.print(f"  {number:>2}  {name}")

    def note(self, text: str) -> None:
        self.console.print(text, style="dim")

    def ask(self, prompt: str, widget: str, parse: Callable[[str], T]) -> T:
        answer = ""
        for _ in range(MAX_INVALID_ANSWERS):
            answer = self._line(prompt)
            try:
                return parse(answer)
            except ValueError as exc:
                self.console.print(f"{exc}; try again", style="yellow")
        raise OperatorError(f"{widget}: no valid answer after {MAX_INVALID_ANSWERS} tries, "
                            f"the last was {answer!r}", dialog=self.dialog, widget=widget,
                            answer=answer)

    def _line(self, prompt: str) -> str:
        self.console.print(prompt, end="", style="bold")
        self.flush()
        try:
            line = self.stdin.readline()
        except OSError as exc:  # pytest's captured stdin: the plugin did not attach
            raise OperatorError(
                f"no operator answered: stdin cannot be read ({exc}); pytest releases it "
                "to dialogs where the plugin is active (a hardpy.toml, or --bridge)",
                dialog=self.dialog) from None
        if not line:
            self.console.print()
            raise OperatorError(
                "no operator answered: stdin is closed (end of input)" + _eof_hint(),
                dialog=self.dialog)
        line = line.rstrip("\r\n")
        if self.echo:
            self.console.print(line)
        return line

    def flush(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.stdout.flush()


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (OSError, ValueError):
        return False


def _eof_hint() -> str:
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return ("; pytest-xdist workers have no stdin: run plans with operator dialogs "
                "without -n")
    return ("; run pytest in a terminal to answer, or pipe the answers into it, one line "
            "per prompt: printf 'answer\\n' | pytest")

