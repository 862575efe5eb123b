"""What a stored run can carry: checked at the API call, never found out at commit.

SQLite stores integers in 64 bits and text as UTF-8; StandCloud's report is JSON
without NaN; a reader must be able to show a name in a terminal. A value outside
those bounds is refused where the test plan passes it, naming the field, so that it
can never fail the case's commit later (which would lose the case, or worse, leave
the run looking passed).
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
#: Names and identifiers (serial numbers, names, units, info values, message keys).
MAX_NAME = 1_000
#: Longer texts (operator messages, artifact strings): about a page of a report.
MAX_TEXT = 100_000
#: Nesting of artifacts and driver info: deeper than any real data structure, and far
#: from the JSON parsers' recursion limits on the server.
MAX_DEPTH = 32


def check_text(where: str, text: str, *, limit: int = MAX_NAME) -> str:
    """A string SQLite can store as UTF-8 and a terminal can show; returns it."""
    if not isinstance(text, str):
        raise TypeError(f"{where} must be a string, got {type(text).__name__}")
    if len(text) > limit:
        raise ValueError(f"{where} is {len(text)} characters long; at most {limit} are kept")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"{where} holds a lone surrogate ({text[exc.start]!r} at "
                         f"{exc.start}), which UTF-8 cannot store") from None
    return text


def check_int(where: str, number: int) -> int:
    """An int that fits SQLite's 64 bits."""
    if not INT64_MIN <= number <= INT64_MAX:
        raise ValueError(f"{where} = {number} does not fit in 64 bits "
                         f"({INT64_MIN} .. {INT64_MAX})")
    return number


def check_number(where: str, number: Any) -> None:
    """A finite float, or an int of 64 bits (bool is not a number here)."""
    if isinstance(number, bool) or not isinstance(number, int | float):
        raise TypeError(f"{where} must be a number, got {type(number).__name__}")
    if isinstance(number, int):
        check_int(where, number)
    elif not math.isfinite(number):
        raise ValueError(f"{where} must be a finite number, got {number!r}")


def check_json(where: str, value: Any, *, depth: int = 0) -> None:
    """Any JSON value the report can carry: str keys, finite numbers, 64-bit ints,
    UTF-8 text, at most ``MAX_DEPTH`` levels of dicts and lists."""
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, str):
        check_text(where, value, limit=MAX_TEXT)
    elif isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{where} cannot be stored as JSON: it must be a finite number, "
                         f"got {value!r}")
    elif isinstance(value, int | float):
        check_number(where, value)
    elif isinstance(value, dict | list | tuple):
        if depth >= MAX_DEPTH:
            raise ValueError(f"{where} is nested more than {MAX_DEPTH} levels deep")
        if isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str):
                    raise TypeError(f"{where}: key {key!r} must be a string")
                check_text(f"{where}: key", key)
                check_json(f"{where}[{key!r}]", item, depth=depth + 1)
        else:
            for index, item in enumerate(value):
                check_json(f"{where}[{index}]", item, depth=depth + 1)
    else:
        raise TypeError(f"{where} cannot be stored as JSON: {type(value).__name__} "
                        "is not str, int, float, bool, None, dict or list")


def iso_dates(data: Any) -> Any:
    """HardPy's info takes datetimes; StandCloud's report carries them as ISO 8601 text."""
    if not isinstance(data, dict):
        return data
    return {key: value.isoformat() if isinstance(value, date) else value
            for key, value in data.items()}
