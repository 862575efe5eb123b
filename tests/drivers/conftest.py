"""Fixtures for driver tests: a fresh simulated bench, and scripted byte exchanges."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from drivers.sim.workbench import BENCH, SimBench
from drivers.testing import expected_protocol as build_on_a_script


@pytest.fixture(autouse=True)
def bench() -> Iterator[SimBench]:
    """The process's simulated stand, back at power-on state for every test."""
    BENCH.reset()
    yield BENCH
    BENCH.reset()


@pytest.fixture
def sim_backend(bench: SimBench) -> str:
    """The pyvisa backend string of the simulated stand (coupled to the bench)."""
    return bench.visa_backend()


@pytest.fixture
def expected_protocol():
    """``with expected_protocol(Driver, script, **options) as driver:`` — PyMeasure-style.

    Builds the driver on a scripted transport (:mod:`drivers.testing`); at the end of
    the block every scripted exchange must have been used and every reply read.
    """
    return build_on_a_script
