"""A case the store could not take is an error in pytest's own count, not a pass.

The case's body passed, so pytest counts its call as passed, as for any teardown
error; the store's refusal is that case's error at teardown: in the count, the short
summary and the exit code, beside the stand-bridge section's line.
"""

from __future__ import annotations

import json

PLAN = """
import bridge
from bridge import api


def test_one():
    pass


def test_two():
    # fault injection: the store's connection refuses writes from here on
    api._active.writer.store.conn.execute("PRAGMA query_only = ON")


def test_three():
    pass
"""
CONFTEST = """
from bridge import api


def pytest_runtest_logreport(report):
    if report.when == "teardown" and report.nodeid.endswith("test_two"):
        api._active.writer.store.conn.execute("PRAGMA query_only = OFF")  # room again
"""


def test_a_case_the_store_refused_is_counted_as_an_error_by_pytest(plan):
    plan.write("test_plan.py", PLAN)
    plan.write("conftest.py", CONFTEST)  # the run's end can be stored again
    result = plan.pytest("-p", "no:randomly")
    output = result.stdout + result.stderr
    assert "INTERNALERROR" not in output and "Traceback" not in output
    assert result.stdout.strip().splitlines()[-1].startswith("2 passed, 1 error in "), output
    assert "ERROR at teardown of test_two" in output
    assert "ERROR test_plan.py::test_two - stand-bridge: " in output
    assert "could not be stored" in output
    assert result.returncode != 0
    run = json.loads(plan.bridge("runs", "--json").stdout)
    assert run["status"] == "error"
    assert run["cases"] == 1  # test_one; test_two was refused, test_three never ran
