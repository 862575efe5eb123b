"""Shared by the report tests: one Chromium for the session, and a stored run with every
kind of content a run page shows, made once per module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from plan_support import Plan
from report_browser import Browser
from report_support import RICH_PLAN


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    """One Chromium per test process (per xdist worker), started by the first page
    opened: a start costs about a second of CPU, a page about 0.1 s."""
    chromium = Browser(tmp_path_factory.mktemp("chromium"))
    yield chromium
    chromium.close()


@pytest.fixture(scope="module")
def rich_run(tmp_path_factory: pytest.TempPathFactory) -> Plan:
    """A failed run: passing and failing measurements, two charts, a retried case."""
    plan = Plan(tmp_path_factory.mktemp("rich") / "plan")
    plan.write("hardpy.toml", 'title = "Board acceptance"\n[stand]\nattempt_pause = 0\n')
    plan.write("test_board.py", RICH_PLAN)
    result = plan.pytest()
    assert "1 failed" in result.stdout, result.stdout + result.stderr
    return plan
