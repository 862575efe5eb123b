"""Text from outside (a DUT, the run store, a server) made safe to show in a terminal.

A serial number or an error body can hold ``ESC[2J`` (clears the screen), a carriage
return that overwrites the line, a bidi override that reorders it, or ``[/]`` that
rich would read as markup and crash on. Everything that did not come from our own code
goes through :func:`shown` before it reaches a terminal; rich cells get a ``Text``
(never markup) from :func:`cell`. This module imports nothing heavy: rich is imported
only when a cell is made.
"""

from __future__ import annotations

import re
from typing import Any

# C0 controls, DEL, C1 controls (U+009B is a one-character CSI), bidi overrides and
# isolates, line/paragraph separators: none of them belongs in a one-line field. Lone
# surrogates (a JSON "\ud800" from a server, argv bytes that are not UTF-8) cannot be
# written to a UTF-8 terminal at all.
_OTHERS = r"\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_UNSAFE = re.compile(rf"[\x00-\x1f{_OTHERS}]")
_UNSAFE_KEEP_LINES = re.compile(rf"[\x00-\x09\x0b-\x1f{_OTHERS}]")  # all but \n
MAX_SHOWN = 500  # characters of one field: a 10 MB serial number must not stall a table
MAX_IN_TABLE = 40  # of an identifier in a table row, so that the row still fits 80 columns


_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def shown(value: Any, *, lines: bool = False, limit: int | None = MAX_SHOWN) -> str:
    """``value`` as text that cannot steer a terminal: control characters written as
    escapes (``\\x1b``), cut to ``limit`` characters with the length said.

    ``lines=True`` keeps line breaks (an assertion message); otherwise the text stays
    on one line. ``None`` is the empty string.
    """
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    cut = ""
    if limit is not None and len(text) > limit:
        cut = f"...(+{len(text) - limit} chars)"
        text = text[:limit]
    return (_UNSAFE_KEEP_LINES if lines else _UNSAFE).sub(_escape, text) + cut


def cell(value: Any, style: str = "", **options: Any) -> Any:
    """A rich ``Text`` of :func:`shown` text: stored text is never read as markup."""
    from rich.text import Text

    return Text(shown(value, **options), style=style)
