"""HardPy's session fixtures, for a plan's tests and conftests.

Plain functions in a module registered as a plugin while a run is recorded: fixtures
on a plugin instance draw pytest's deprecation warning in every HardPy project.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


def _plugin(request: pytest.FixtureRequest) -> Any:
    return request.config.pluginmanager.get_plugin("bridge-recorder")


@pytest.fixture(scope="session")
def post_run_functions(request: pytest.FixtureRequest) -> list[Callable[[], object]]:
    """HardPy's list of functions to call once the run is finished and stored
    (a conftest appends, e.g., its own upload); get_current_report() works there."""
    return _plugin(request).post_run


@pytest.fixture(scope="session")
def hardpy_start_args(request: pytest.FixtureRequest) -> dict[str, str]:
    """HardPy's fixture: the ``--hardpy-start-arg key=value`` pairs, a fresh copy."""
    return dict(_plugin(request).start_args)
