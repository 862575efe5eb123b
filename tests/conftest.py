"""Shared fixtures: test-plan folders in tmp, run by pytest."""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
from collections.abc import Callable
from pathlib import Path

import pytest
from plan_support import PYTEST_ADDOPTS, Plan

# Every pytest process a test starts inherits this (see plan_support.PYTEST_ADDOPTS).
os.environ["PYTEST_ADDOPTS"] = PYTEST_ADDOPTS
# A shell starts a background job (`make test &`) with SIGINT ignored, and every process
# it starts inherits that: the tests that press Ctrl-C in a plan's or a command's process
# need it delivered, as from a terminal.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


# Folders whose tests share a costly fixture of each test process: Chromium (report) and
# HardPy's warm pythons (compat). Collected first, they fall in the first worker's share
# under --dist worksteal, and the other worker steals from the end of that share: the
# short, independent tests. One Chromium and one set of HardPy servers per run, then,
# not one per worker (~1 s of CPU each).
SHARED_PER_PROCESS = ("compat", "report")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.path.parent.name not in SHARED_PER_PROCESS)


@pytest.fixture
def new_plan(tmp_path: Path):
    """Make a plan folder by name (no hardpy.toml written)."""
    return lambda name: Plan(tmp_path / name)


@pytest.fixture
def plan(tmp_path: Path) -> Plan:
    """An empty test-plan folder with a hardpy.toml, so the plugin is active there."""
    folder = Plan(tmp_path / "plan")
    folder.write("hardpy.toml", 'title = "Test plan"\n')
    return folder


@pytest.fixture(scope="session")
def built_once(tmp_path_factory: pytest.TempPathFactory
               ) -> Callable[[str, Callable[[Path], None]], Path]:
    """``built_once(name, build)``: the folder ``name``, filled by ``build(folder)`` once
    per test run. A module fixture runs in each xdist worker that gets one of the
    module's tests; what costs seconds (the demo, a wheel and its venv) is built by the
    first worker to ask, under a lock, and read by the other."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the run's folder, each worker's basetemp is in it

    def folder_of(name: str, build: Callable[[Path], None]) -> Path:
        folder = root / name
        with (root / f"{name}.lock").open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not (folder / ".built").exists():
                shutil.rmtree(folder, ignore_errors=True)  # a build that failed
                folder.mkdir()
                build(folder)
                (folder / ".built").touch()
        return folder

    return folder_of


# The audit's totals (tests/audit), printed once per session; also under xdist, where
# each audit test hands its tally to the controller as a user property.
AUDIT_KINDS = ("tried", "clear", "accepted", "tracebacks", "wrong", "lost")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    totals = dict.fromkeys(AUDIT_KINDS, 0)
    found = False
    for reports in terminalreporter.stats.values():
        for report in reports:
            for name, value in getattr(report, "user_properties", ()):
                if name == "audit" and getattr(report, "when", "call") == "call":
                    found = True
                    for kind in AUDIT_KINDS:
                        totals[kind] += value.get(kind, 0)
    if found:
        terminalreporter.write_line(
            "audit: tried {tried}, clear errors {clear}, accepted {accepted}, tracebacks "
            "{tracebacks}, wrong {wrong}, lost {lost}".format(**totals))
