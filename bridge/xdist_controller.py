"""Under pytest-xdist: the controller records nothing, each worker stores its run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from bridge.config import StandConfig


def is_controller(config: pytest.Config) -> bool:
    """Whether this process hands the plan out to xdist workers (and runs no case)."""
    return (not hasattr(config, "workerinput")
            and config.getoption("numprocesses", None) not in (None, 0))


def become_controller(config: pytest.Config, stand: StandConfig) -> None:
    if stand.model.slots and config.option.dist in ("no", "load"):
        # A stand with DUT slots: every worker runs the whole plan on its own slot.
        config.option.dist = "each"
    config.pluginmanager.register(ControllerNote(stand), "bridge-controller")


class ControllerNote:
    """Under pytest-xdist the controller records nothing: each worker stores its run."""

    def __init__(self, stand: StandConfig):
        self.stand = stand

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        terminalreporter.section("stand-bridge")
        terminalreporter.write_line(f"each worker stored its own run in {self.stand.store_path}")
