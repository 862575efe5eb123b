"""Shared fixtures: test-plan folders in tmp, run by pytest in their own process."""

from __future__ import annotations

from pathlib import Path

import pytest
from plan_support import Plan


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
