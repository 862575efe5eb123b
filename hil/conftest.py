"""Slots under pytest-xdist: every worker runs the whole plan on its own slot.

pytest-xdist normally spreads the cases over the workers; a stand with DUT slots
needs each worker to run every case on its slot's DUT. With ``[slots]`` in
hardpy.toml and ``-n N``, this switches the distribution to ``--dist each``.
"""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    if getattr(config.option, "numprocesses", None) and config.option.dist in ("no", "load"):
        from bridge.instruments import stand_has_slots

        if stand_has_slots(config):
            config.option.dist = "each"
