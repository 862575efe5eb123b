"""The plan's markers (HardPy's), read once per case at collection.

A wrong argument stops pytest at collection naming the test (a malformed dependency
ends it with exit code 5, as in HardPy); a missing or empty name falls back to the id.
"""

from __future__ import annotations

import pytest

MARKERS = {
    "case_name": "case_name(name): human-readable name of the test case",
    "module_name": "module_name(name): human-readable name of the test module",
    "attempt": "attempt(n): re-run a failing case up to n times, recording each attempt",
    "critical": "critical: a failure or skip of this case (or module) stops the run",
    "dependency": "dependency('module::case'): skip if that case (or module) failed, "
                  "errored or was skipped (repeatable: all must hold)",
    "case_group": "case_group(group): setup, main or teardown; the report's group of the case",
    "module_group": "module_group(group): setup, main or teardown, for the module (pytestmark)",
}


class CaseInfo:
    """What the markers and the item say about one case, read once at collection."""

    __slots__ = ("attempts", "case_id", "case_name", "critical", "dependencies", "group",
                 "module_group", "module_id", "module_name")

    def __init__(self, item: pytest.Item, modules: dict[pytest.Module, dict[str, pytest.Mark]]):
        """``modules``: each module's own markers, read at its first case (a cache the
        caller keeps for one collection)."""
        marks: dict[str, pytest.Mark] = {}
        depends: list[pytest.Mark] = []
        for mark in item.iter_markers():  # closest first; one walk for all markers
            name = mark.name
            if name in MARKERS:
                marks.setdefault(name, mark)
                if name == "dependency":
                    depends.append(mark)
        module_marks = _module_marks(item, modules)  # HardPy reads these from pytestmark only
        where = item.nodeid
        self.module_id = item.path.stem
        self.case_id = item.name
        self.module_name = _text(where, module_marks.get("module_name")) or self.module_id
        self.case_name = _text(where, marks.get("case_name")) or self.case_id
        self.group = _group(where, marks.get("case_group"))
        self.module_group = _group(where, module_marks.get("module_group"))
        self.attempts = 1
        attempt = marks.get("attempt")
        if attempt is not None:
            value = attempt.args[0] if attempt.args else attempt.kwargs.get("n")
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise pytest.UsageError(f"{where}: @pytest.mark.attempt takes a whole "
                                        f"number of attempts >= 1, got {value!r}")
            self.attempts = value
        critical = marks.get("critical")
        if critical is not None and (critical.args or critical.kwargs):
            raise pytest.UsageError(f"{where}: @pytest.mark.critical takes no arguments")
        self.critical = critical is not None
        self.dependencies: tuple[tuple[str, str | None], ...] = ()
        if depends:
            from bridge import dependencies

            self.dependencies = dependencies.parse(where, depends)


def _module_marks(item: pytest.Item,
                  modules: dict[pytest.Module, dict[str, pytest.Mark]]) -> dict[str, pytest.Mark]:
    """The markers of the item's module itself, the first of each name."""
    module = item.getparent(pytest.Module)
    if module is None:
        return {}
    marks = modules.get(module)
    if marks is None:
        marks = modules[module] = {mark.name: mark for mark in reversed(module.own_markers)}
    return marks


CASE = pytest.StashKey[CaseInfo]()  # each collected item's CaseInfo

def _text(where: str, mark: pytest.Mark | None) -> str | None:
    """A name marker's text; an empty one means the id (HardPy)."""
    if mark is None:
        return None
    if len(mark.args) != 1 or not isinstance(mark.args[0], str):
        raise pytest.UsageError(f"{where}: @pytest.mark.{mark.name} takes one string, "
                                f"got {mark.args!r}")
    return mark.args[0] or None


GROUPS = ("setup", "main", "teardown")


def _group(where: str, mark: pytest.Mark | None) -> str:
    if mark is None:
        return "main"
    value = mark.args[0] if len(mark.args) == 1 else None
    value = getattr(value, "value", value)  # hardpy.Group.SETUP or "setup"
    if value not in GROUPS:
        raise pytest.UsageError(f"{where}: @pytest.mark.{mark.name} takes one of "
                                f"{', '.join(GROUPS)}, got {mark.args!r}")
    return value
