"""HardPy's ``ErrorCode``: an assert's message that also gives the run its error code.

A plan writes ``assert ok, hardpy.ErrorCode(7, "no answer from DUT")``. Python builds
the message only when the assert fails, so building it is the moment the case fails:
the run's ``error_code`` is set then (the first one of the run wins, as in HardPy), and
the message (``Error code = 7`` without one) is the assert's, so the case's failure
text is ``AssertionError: <message>`` followed by the failed comparison, as in HardPy.
"""

from __future__ import annotations


class ErrorCode:
    """The message of a failing assert, carrying the run's error code."""

    def __init__(self, code: int, message: str | None = None):
        if not isinstance(code, int) or isinstance(code, bool):
            raise TypeError(f"ErrorCode() takes an int code, got {code!r}")
        if code < 0:
            raise ValueError(f"ErrorCode() takes a non-negative code, got {code}")
        from bridge import api

        self.code = code
        self.message = message if message else f"Error code = {code}"
        api.set_error_code(code)  # only the run's first error code is kept

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return self.message
