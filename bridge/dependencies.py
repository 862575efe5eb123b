"""The ``dependency`` marker, with HardPy's meaning.

``@pytest.mark.dependency("module::case")`` (or ``"module"``) skips a case when its
target failed, errored or was skipped; several markers must all hold. A target that
has not run yet (later in the plan) does not skip; a target naming no test is
ignored, as in HardPy, but named in the end-of-run summary so that a typo does not
pass unseen. A malformed string ends the session at collection with exit code 5, as
in HardPy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytest

from bridge.statuses import NOT_PASSED

Target = tuple[str, str | None]  # module id, case id (None: the whole module)

#: The final status of a case (module: case id None), None until it ran (the recorder's).
StatusOf = Callable[[str, str | None], str | None]


def parse(where: str, marks: Iterable[pytest.Mark]) -> tuple[Target, ...]:
    """The targets of a case's ``dependency`` markers; a malformed one ends the session."""
    targets = []
    for mark in marks:
        target = mark.args[0] if len(mark.args) == 1 and not mark.kwargs else None
        if not isinstance(target, str) or not target.strip(":") or target.count("::") > 1 \
                or target.startswith("::") or target.endswith("::"):
            pytest.exit(f"{where}: @pytest.mark.dependency takes one 'module::case' or "
                        f"'module' string, got {mark.args!r}",
                        returncode=pytest.ExitCode.NO_TESTS_COLLECTED)
        module_id, _, case_id = target.partition("::")
        targets.append((module_id, case_id or None))
    return tuple(targets)


def label(target: Target) -> str:
    module_id, case_id = target
    return f"{module_id}::{case_id}" if case_id else module_id


class Dependencies:
    """Knows the collected cases; decides skips; names unknown targets at the end."""

    def __init__(self) -> None:
        self.known: set[Target] = set()
        self.unknown: dict[str, list[str]] = {}  # target -> the cases naming it

    def collected(self, cases: Iterable[tuple[str, str, str, tuple[Target, ...]]]) -> None:
        """``cases``: (nodeid, module id, case id, targets) of every collected case."""
        cases = list(cases)
        for _, module_id, case_id, _ in cases:
            self.known.update({(module_id, None), (module_id, case_id)})
        for nodeid, _, _, targets in cases:
            for target in targets:
                if target not in self.known:
                    self.unknown.setdefault(label(target), []).append(nodeid)

    def skip_reason(self, targets: tuple[Target, ...], status_of: StatusOf) -> str | None:
        """Why the case must be skipped, or None when every known target holds."""
        for target in targets:
            if target not in self.known:
                continue  # ignored as in HardPy; named in the summary
            status = status_of(*target)  # None: not run yet
            if status in NOT_PASSED:
                return f"dependency {label(target)} did not pass ({status})"
        return None

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.unknown:
            return
        terminalreporter.section("stand-bridge: dependencies")
        for target, nodeids in self.unknown.items():
            terminalreporter.write_line(
                f"warning: dependency {target!r} names no test; ignored "
                f"(in {', '.join(nodeids)})", yellow=True)
