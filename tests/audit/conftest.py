"""The audit's totals, printed once per session (also under xdist: each test hands its
tally to the controller as a user property)."""

from __future__ import annotations

from typing import Any

KINDS = ("tried", "clear", "accepted", "tracebacks", "wrong", "lost")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    totals = dict.fromkeys(KINDS, 0)
    found = False
    for reports in terminalreporter.stats.values():
        for report in reports:
            for name, value in getattr(report, "user_properties", ()):
                if name == "audit" and getattr(report, "when", "call") == "call":
                    found = True
                    for kind in KINDS:
                        totals[kind] += value.get(kind, 0)
    if found:
        terminalreporter.write_line(
            "audit: tried {tried}, clear errors {clear}, accepted {accepted}, tracebacks "
            "{tracebacks}, wrong {wrong}, lost {lost}".format(**totals))
