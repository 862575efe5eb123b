"""The statuses of a run, a module and a case: one definition.

Members are ``str``: they compare equal to, format as, and store as the plain strings
that the store, the report (StandCloud's format) and HardPy use.
"""

from __future__ import annotations

from enum import Enum


class Status(str, Enum):
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"  # the case could not run as written (setup, the store)
    SKIPPED = "skipped"
    STOPPED = "stopped"  # Ctrl-C, SIGTERM, pytest.exit(), a critical case
    INTERRUPTED = "interrupted"  # ours: a run left open, settled by the next start
    RUN = "run"  # running now (get_current_report, a run not yet finished)
    READY = "ready"  # StandCloud's format only

    def __str__(self) -> str:  # "passed", not "Status.PASSED", in messages
        return str.__str__(self)

    def __format__(self, format_spec: str) -> str:  # and in f-strings
        return str.__format__(self, format_spec)

    __hash__ = str.__hash__  # a member and its string are one dict key


#: A case with one of these fails its module and its run.
FAILING = (Status.FAILED, Status.ERROR)
#: A dependency on a case (or module) with one of these skips the dependent case.
NOT_PASSED = (Status.FAILED, Status.ERROR, Status.SKIPPED)
