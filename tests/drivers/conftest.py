"""Fixtures for driver tests: a fresh simulated bench, and scripted byte exchanges."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from scripted_transport import ScriptedTransport

from drivers.sim.bench import BENCH, SimBench


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

    Builds the driver on a :class:`ScriptedTransport`; at the end of the block every
    scripted exchange must have been used and every reply read.
    """

    @contextlib.contextmanager
    def build(driver_cls, script, **options):
        transport = ScriptedTransport(script)
        driver = driver_cls(transport, **options)
        yield driver
        transport.verify()

    return build
