"""Argument types: each value is parsed with the arguments (argparse's ``type=``).

A bad value is then argparse's usage error naming the option (``argument --since:
...``, exit 2) before any file is opened, never an error raised deep in a command.
Imports nothing heavy: ``bridge --help`` loads this module.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

MAX_LIMIT = 1_000_000  # a --limit SQLite holds (a 20-digit one overflowed it)
RUN_HELP = "run id, unique prefix of one, or 'last'"  # what resolve_run takes


def text(value: str) -> str:
    """Text matched against the store (a run id, a part number): argv bytes that are
    not UTF-8 arrive as lone surrogates, which SQLite cannot take."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        escaped = value.encode("utf-8", "backslashreplace").decode("utf-8")
        raise argparse.ArgumentTypeError(f"not UTF-8 text: {escaped}") from None
    return value


def path(value: str) -> Path:
    """A file or folder: Path, refusing a NUL byte (no file name holds one; ``open``
    would raise ValueError in the command). Only an in-process caller can pass one."""
    if "\0" in value:
        raise argparse.ArgumentTypeError(f"{value!r} holds a NUL byte")
    return Path(value)


def since_time(value: str) -> float | None:
    """A --since: an age (2h, 3d) or a date (2026-11-01) as Unix time; an empty one
    filters nothing, as it always did."""
    from bridge.store.queries import parse_since

    if not value:
        return None
    try:
        return parse_since(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--since ")) from None


def limit(value: str) -> int:
    """A --limit: a whole number from 1 to :data:`MAX_LIMIT`."""
    return _whole_number(value, 1, MAX_LIMIT)


def uploads(value: str) -> int:
    """``sync --parallel``: 1 to 32 uploads at once (0 or fewer sent nothing)."""
    return _whole_number(value, 1, 32)


def port(value: str) -> int:
    """A TCP port, 0 (any free one) to 65535 (a larger one failed in bind with a
    traceback)."""
    return _whole_number(value, 0, 65535)


def _whole_number(value: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if not low <= number <= high:
        raise argparse.ArgumentTypeError(f"{value} is outside {low} to {high}")
    return number


def seconds(value: str) -> float:
    """A time span: a finite number of seconds, 0 or more (a negative one reaches
    ``time.sleep``; ``inf`` and ``nan`` never end a wait)."""
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {value!r}") from None
    if not math.isfinite(number) or number < 0:
        raise argparse.ArgumentTypeError(f"{value} is not a finite number of seconds >= 0")
    return number
